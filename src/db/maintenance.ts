import type { ScheduledDelivery } from "./deliveries";
import { SQL_QUEUE_TOKEN } from "./sql";

/**
 * The SQL of the delivery path's upkeep: the dead-letter consumer's last word on a delivery, and
 * the cron sweeper's re-arming of lost queue messages, auto-disabling and expiry.
 */

/** Marks a dead-lettered delivery failed, unless it already finished or was replayed meanwhile. */
export async function failDeadLettered(db: D1Database, deliveryId: string, token: string, reason: string, now: number): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET status = 'failed', last_error = ?, next_attempt_at = NULL, updated_at = ?
       WHERE id = ? AND queue_token = ? AND status IN ('pending', 'retrying')`,
    )
    .bind(reason, now, deliveryId, token)
    .run();
}

/**
 * Re-arms deliveries whose queue message evidently never arrived: whose claim began before
 * `stuckBefore` (epoch ms; see src/delivery/claim.ts: the later of the last enqueue or renewal,
 * kept in enqueued_at, and a retry's due time). Each gets a new queue token so the lost message,
 * should it surface after all, is ignored.
 */
export async function rearmStuckDeliveries(db: D1Database, stuckBefore: number, now: number, limit: number): Promise<ScheduledDelivery[]> {
  const { results } = await db
    .prepare(
      `UPDATE deliveries SET queue_token = ${SQL_QUEUE_TOKEN}, enqueued_at = ?1, updated_at = ?1
       WHERE id IN (
         SELECT id FROM deliveries
         WHERE (status = 'pending' AND enqueued_at < ?2) OR (status = 'retrying' AND next_attempt_at < ?2 AND enqueued_at < ?2)
         LIMIT ?3)
       RETURNING id, queue_token`,
    )
    .bind(now, stuckBefore, limit)
    .all<ScheduledDelivery>();
  return results;
}

/**
 * Disables endpoints whose failures span at least `windowMs`: a failure `windowMs` or more after
 * the first failure of a streak no success interrupted. An endpoint that merely got no traffic
 * after failing is left alone, however long ago that was. Returns how many were disabled.
 *
 * @param windowMs AUTO_DISABLE_AFTER_SECONDS in milliseconds
 * @param now epoch milliseconds
 */
export async function autoDisableFailingEndpoints(db: D1Database, windowMs: number, now: number): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE endpoints SET enabled = 0, updated_at = ?1,
         disabled_reason = 'Disabled automatically: every delivery failed since ' || strftime('%Y-%m-%dT%H:%M:%SZ', failing_since / 1000, 'unixepoch')
           || ', still failing at ' || strftime('%Y-%m-%dT%H:%M:%SZ', last_failed_at / 1000, 'unixepoch')
       WHERE enabled = 1 AND failing_since IS NOT NULL AND failing_since <= ?1 - ?2 AND last_failed_at - failing_since >= ?2`,
    )
    .bind(now, windowMs)
    .run();
  return result.meta.changes;
}

/** Deletes messages (and through foreign keys their deliveries and attempts) older than `before`. */
export async function purgeOldMessages(db: D1Database, before: number, limit: number): Promise<number> {
  const result = await db
    .prepare("DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE created_at < ? LIMIT ?)")
    .bind(before, limit)
    .run();
  return result.meta.changes;
}

/** Deletes idempotency keys past their window. */
export async function purgeIdempotencyKeys(db: D1Database, before: number): Promise<void> {
  await db.prepare("DELETE FROM idempotency_keys WHERE created_at < ?").bind(before).run();
}
