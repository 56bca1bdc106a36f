import { idFloor, KEY_EPOCH_MS } from "../lib/ids";
import type { ScheduledDelivery } from "./deliveries";
import type { DeliveryRef } from "./delivery-work";
import { deliveryPairs, SQL_NEW_QUEUE_TOKEN } from "./sql";

/**
 * The SQL of the delivery path's upkeep: the dead-letter consumer's last word on a delivery, and
 * the cron sweeper's re-arming of lost queue messages, auto-disabling and expiry.
 */

/** Marks a dead-lettered delivery failed, unless it already finished or was replayed meanwhile. */
export async function failDeadLettered(db: D1Database, delivery: DeliveryRef, token: string, reason: string, now: number): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET status = 'failed', last_error = ?1, next_attempt_at = NULL, updated_at = max(?2, created_at + 1)
       WHERE tenant_id = ?3 AND endpoint_id = ?4 AND id = ?5 AND queue_token = ?6 AND status IN ('scheduled', 'pending', 'retrying')`,
    )
    .bind(reason, now, delivery.tenant_id, delivery.endpoint_id, delivery.delivery_id, token)
    .run();
}

// Every (tenant, endpoint) pair that has deliveries, one seek each (the shard's tenants are few).
const DELIVERY_PAIRS = deliveryPairs("SELECT id FROM tenants");

const REARM_SET = `${SQL_NEW_QUEUE_TOKEN}, enqueued_at = ?1, updated_at = max(?1, created_at + 1)`;

/**
 * Re-arms deliveries whose queue message evidently never arrived: whose claim began before
 * `stuckBefore` (epoch ms; see src/delivery/claim.ts: the later of the last enqueue or renewal,
 * kept in enqueued_at, and a retry's due time). Each gets a new queue token so the lost message,
 * should it surface after all, is ignored, and leaves the fresh state, so deliveries_open watches it.
 *
 * Three sources: deliveries_open (retries, replays, re-arms); fresh deliveries the enqueue path
 * wrote without an index entry, found by their ids (time-ordered) from `freshFrom` (epoch ms) to
 * `stuckBefore` in every (tenant, endpoint) range of the primary key; and scheduled deliveries
 * (deliveries_scheduled) due before `stuckBefore` that no consumer moved on, which become pending.
 * At most `limit` from each source.
 */
export async function rearmStuckDeliveries(
  db: D1Database,
  stuckBefore: number,
  freshFrom: number,
  now: number,
  limit: number,
): Promise<ScheduledDelivery[]> {
  const [open, fresh, scheduled] = await db.batch<ScheduledDelivery>([
    db
      .prepare(
        `UPDATE deliveries SET ${REARM_SET}
         WHERE (tenant_id, endpoint_id, id) IN (
           SELECT tenant_id, endpoint_id, id FROM deliveries
           WHERE status IN ('pending', 'retrying') AND updated_at > created_at
             AND ((status = 'pending' AND enqueued_at < ?2) OR (status = 'retrying' AND next_attempt_at < ?2 AND enqueued_at < ?2))
           LIMIT ?3)
         RETURNING id, tenant_id, endpoint_id, queue_token`,
      )
      .bind(now, stuckBefore, limit),
    db
      .prepare(
        `${DELIVERY_PAIRS}
         UPDATE deliveries SET ${REARM_SET}
         WHERE (tenant_id, endpoint_id, id) IN (
           SELECT d.tenant_id, d.endpoint_id, d.id FROM pairs AS p
           CROSS JOIN deliveries AS d ON d.tenant_id = p.t AND d.endpoint_id = p.e AND d.id >= ?4 AND d.id < ?5
           WHERE d.status = 'pending' AND d.updated_at = d.created_at AND d.enqueued_at < ?2
           LIMIT ?3)
         RETURNING id, tenant_id, endpoint_id, queue_token`,
      )
      .bind(now, stuckBefore, limit, idFloor(freshFrom), idFloor(stuckBefore)),
    db
      .prepare(
        `UPDATE deliveries SET ${REARM_SET}, status = 'pending'
         WHERE (tenant_id, endpoint_id, id) IN (
           SELECT tenant_id, endpoint_id, id FROM deliveries WHERE status = 'scheduled' AND next_attempt_at < ?2 LIMIT ?3)
         RETURNING id, tenant_id, endpoint_id, queue_token`,
      )
      .bind(now, stuckBefore, limit),
  ]);
  return [...open!.results, ...fresh!.results, ...scheduled!.results];
}

/** A sweeper task's progress mark (epoch ms), or null before its first run. */
export async function readSweeperMark(db: D1Database, name: string): Promise<number | null> {
  return db.prepare("SELECT value FROM sweeper_state WHERE name = ?").bind(name).first<number>("value");
}

/** Records how far a sweeper task got (epoch ms); never moves a mark back. */
export async function writeSweeperMark(db: D1Database, name: string, value: number): Promise<void> {
  await db
    .prepare("INSERT INTO sweeper_state (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = max(value, ?2)")
    .bind(name, value)
    .run();
}

/** An endpoint the sweeper disabled, with the reason it recorded. */
export interface AutoDisabledEndpoint {
  endpoint_id: string;
  tenant_id: string;
  disabled_reason: string;
}

/**
 * Disables endpoints whose failures span at least `windowMs`: a failure `windowMs` or more after
 * the first failure of a streak no success interrupted. An endpoint that merely got no traffic
 * after failing is left alone, however long ago that was. Returns the endpoints it disabled (only
 * ones enabled until this write, so two sweeps never both report one).
 *
 * @param windowMs AUTO_DISABLE_AFTER_SECONDS in milliseconds
 * @param now epoch milliseconds
 */
export async function autoDisableFailingEndpoints(db: D1Database, windowMs: number, now: number): Promise<AutoDisabledEndpoint[]> {
  const { results } = await db
    .prepare(
      `UPDATE endpoints SET enabled = 0, updated_at = ?1,
         disabled_reason = 'Disabled automatically: every delivery failed since ' || strftime('%Y-%m-%dT%H:%M:%SZ', failing_since / 1000, 'unixepoch')
           || ', still failing at ' || strftime('%Y-%m-%dT%H:%M:%SZ', last_failed_at / 1000, 'unixepoch')
       WHERE enabled = 1 AND failing_since IS NOT NULL AND failing_since <= ?1 - ?2 AND last_failed_at - failing_since >= ?2
       RETURNING id AS endpoint_id, tenant_id, disabled_reason`,
    )
    .bind(now, windowMs)
    .all<AutoDisabledEndpoint>();
  return results;
}

/** A purged message whose payload R2 holds: its object must go too. */
export interface PurgedR2Payload {
  tenant_id: string;
  id: string;
}

// Every tenant bucket that has messages, by a loose index scan over the message keys (one seek each).
const MESSAGE_BUCKETS = `
  WITH RECURSIVE buckets(b) AS (
    SELECT (SELECT min(key) FROM messages) >> 47
    UNION ALL
    SELECT (SELECT min(key) FROM messages WHERE key >= ((buckets.b + 1) << 47)) >> 47
    FROM buckets WHERE buckets.b IS NOT NULL)`;

/**
 * Deletes up to `limit` messages and up to `limit` deliveries created before `before` (epoch ms),
 * oldest first within each tenant range: bounded work per run, and runs catch up one after the
 * other. Returns how many messages went and which of them had their payload in R2.
 */
export async function purgeOldMessages(
  db: D1Database,
  before: number,
  limit: number,
): Promise<{ messages: number; deliveries: number; r2Payloads: PurgedR2Payload[] }> {
  const [deliveries, messages] = await db.batch<PurgedR2Payload & { payload_r2: number }>([
    db
      .prepare(
        `${DELIVERY_PAIRS}
         DELETE FROM deliveries WHERE (tenant_id, endpoint_id, id) IN (
           SELECT d.tenant_id, d.endpoint_id, d.id FROM pairs AS p
           CROSS JOIN deliveries AS d ON d.tenant_id = p.t AND d.endpoint_id = p.e AND d.id < ?1
           LIMIT ?2)`,
      )
      .bind(idFloor(before), limit),
    db
      .prepare(
        `${MESSAGE_BUCKETS}
         DELETE FROM messages WHERE key IN (
           SELECT m.key FROM buckets CROSS JOIN messages AS m ON m.key >= (buckets.b << 47) AND m.key < (buckets.b << 47) | ((?1 - ${KEY_EPOCH_MS}) << 7)
           LIMIT ?2)
         RETURNING tenant_id, id, payload_r2`,
      )
      .bind(before, limit),
  ]);
  const purged = messages!.results;
  return { messages: purged.length, deliveries: deliveries!.meta.changes, r2Payloads: purged.filter((m) => m.payload_r2 === 1) };
}

/** Deletes idempotency keys past their window. */
export async function purgeIdempotencyKeys(db: D1Database, before: number): Promise<void> {
  await db.prepare("DELETE FROM idempotency_keys WHERE created_at < ?").bind(before).run();
}
