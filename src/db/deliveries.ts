import type { z } from "zod";
import { idFloor, messageKeyOf, ordinalOf, SQL_MESSAGE_KEY, sqlMessageKeyOf } from "../lib/ids";
import { decompressText } from "../lib/compression";
import type { AttemptOutcome, DeliveryStatus, DeliverySummarySchema } from "../schemas/messages";
import { inChunks } from "./chunks";
import { iso } from "./pagination";
import { SQL_NEW_QUEUE_TOKEN } from "./sql";

/** A delivery that was (re)scheduled and now needs a queue message. */
export interface ScheduledDelivery {
  id: string;
  tenant_id: string;
  /** "" for a one-off webhook_url delivery. */
  endpoint_id: string;
  queue_token: string;
}

/** A delivery's state as polling shows it: the columns of SUMMARY_COLUMNS. */
export interface DeliverySummaryRow {
  id: string;
  message_id: string;
  endpoint_id: string;
  url: string | null;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** The columns of a DeliverySummaryRow, from `deliveries AS d` joined to its `messages AS m`. */
export const SUMMARY_COLUMNS = `d.id, m.id AS message_id, d.endpoint_id, CASE WHEN d.endpoint_id = '' THEN m.webhook_url END AS url,
  d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at`;

/** SQL joining a delivery `d` to its message `m` by the message's row key. */
const MESSAGE_OF_DELIVERY = `messages AS m ON m.key = ${sqlMessageKeyOf("d.id")} AND m.tenant_id = d.tenant_id`;

/** SQL joining a message target `t` (json_each of `m.targets`) to its delivery `d` by primary key. */
const DELIVERY_OF_TARGET = "d.tenant_id = m.tenant_id AND d.endpoint_id = t.value AND d.id = substr(m.id, 1, 32) || printf('%04x', t.key + 1)";

/**
 * SQL joining `messages AS m` to its deliveries in ordinal order (`json_each AS t`, `deliveries AS d`),
 * by primary key. CROSS JOIN keeps that order: without planner statistics (a database made by
 * migrations has none) SQLite may put `d` before `t` and seek it by tenant alone, reading every
 * delivery of the tenant (1.8 million at the bench's scale; SCALING.md).
 */
export const MESSAGE_DELIVERIES = `messages AS m CROSS JOIN json_each(m.targets) AS t CROSS JOIN deliveries AS d ON ${DELIVERY_OF_TARGET}`;

/** Maps a delivery row to its API summary. */
export function toDeliverySummary(row: DeliverySummaryRow): z.infer<typeof DeliverySummarySchema> {
  return {
    id: row.id,
    message_id: row.message_id,
    endpoint_id: row.endpoint_id || null,
    url: row.url,
    status: row.status as DeliveryStatus,
    attempt_count: row.attempts,
    next_attempt_at: iso(row.next_attempt_at),
    last_attempt_at: iso(row.last_attempt_at),
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/**
 * A delivery in a list: its summary, and when listed `labelled` its message's event and its
 * endpoint's name (the name null when one-off or deleted; both null when not labelled).
 */
export type DeliveryListEntry = ReturnType<typeof toDeliverySummary> & { event: string | null; endpoint_name: string | null };

/** One attempt as `history` keeps it (src/db/delivery-work.ts writes it); `response_z` is the hex of a compressed excerpt. */
interface HistoryEntry {
  attempt: number;
  outcome: string;
  status_code: number | null;
  error_kind: string | null;
  error: string | null;
  duration_ms: number;
  response: string | null;
  response_z?: string | null;
  created_at: number;
}

interface DeliveryDetailRow extends DeliverySummaryRow {
  event: string;
  last_outcome: string | null;
  last_attempt: number | null;
  last_error_kind: string | null;
  last_duration_ms: number | null;
  last_response: string | number[] | null;
  history: string | null;
}

/** A response excerpt as stored: text as is, or Brotli-compressed bytes (a BLOB, or hex inside `history`). */
export async function excerptText(stored: string | number[] | null | undefined, hex?: string | null): Promise<string | null> {
  if (hex) return decompressText(Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)));
  if (stored === null || stored === undefined) return null;
  return typeof stored === "string" ? stored : decompressText(stored);
}

async function attemptsOf(row: DeliveryDetailRow) {
  const entries: HistoryEntry[] = row.history ? JSON.parse(row.history) : [];
  const attempts = await Promise.all(
    entries.map(async (e) => ({ ...e, response: await excerptText(e.response, e.response_z) })),
  );
  if (row.last_outcome !== null) {
    attempts.push({
      attempt: row.last_attempt!,
      outcome: row.last_outcome,
      status_code: row.last_status_code,
      error_kind: row.last_error_kind,
      error: row.last_error,
      duration_ms: row.last_duration_ms ?? 0,
      response: await excerptText(row.last_response),
      created_at: row.last_attempt_at!,
    });
  }
  return attempts
    .sort((a, b) => a.created_at - b.created_at || a.attempt - b.attempt)
    .map((a) => ({
      id: `${row.id}:${a.attempt}`,
      attempt: a.attempt,
      outcome: a.outcome as AttemptOutcome,
      status_code: a.status_code,
      error_kind: a.error_kind,
      error: a.error,
      duration_ms: a.duration_ms,
      response_body: a.response,
      created_at: iso(a.created_at),
    }));
}

/**
 * SQL for a tenant's delivery `id` by primary key: the message (by the key its id carries) names
 * the delivery's endpoint in `targets`. Binds ?1–?3 (key parts), ?4 tenant, ?5 delivery id, ?6 ordinal.
 */
const DELIVERY_BY_ID = `d.tenant_id = ?4 AND d.id = ?5
  AND d.endpoint_id = (SELECT targets ->> ('$[' || CAST(?6 AS INTEGER) || ']') FROM messages WHERE key = ${SQL_MESSAGE_KEY("?1", "?2", "?3")} AND tenant_id = ?4)`;

/** The parameters of DELIVERY_BY_ID, or null for an id that names no delivery (a message's id, ordinal -1, included). */
function byIdParams(tenantId: string, id: string) {
  const key = messageKeyOf(id);
  const ordinal = ordinalOf(id);
  // Checked here, not left to SQL: '$[-1]' is not a JSON path SQLite accepts, it fails the statement.
  return key && ordinal >= 0 ? [key.bucket, key.offset, key.seq, tenantId, id, ordinal] : null;
}

/** One delivery of a tenant with its event and every attempt (one query by primary key), or null. */
export async function getDeliveryWithAttempts(db: D1Database, tenantId: string, id: string) {
  const params = byIdParams(tenantId, id);
  if (!params) return null;
  const row = await db
    .prepare(
      `SELECT ${SUMMARY_COLUMNS}, m.event, d.last_attempt, d.last_outcome, d.last_error_kind, d.last_duration_ms, d.last_response, d.history
       FROM deliveries AS d JOIN ${MESSAGE_OF_DELIVERY} WHERE ${DELIVERY_BY_ID}`,
    )
    .bind(...params)
    .first<DeliveryDetailRow>();
  if (!row) return null;
  return { ...toDeliverySummary(row), event: row.event, attempts: await attemptsOf(row) };
}

const REPLAY_SET = `status = 'pending', attempt_base = attempts, ${SQL_NEW_QUEUE_TOKEN},
  next_attempt_at = NULL, enqueued_at = ?7, updated_at = max(?7, created_at + 1),
  fifo_seq = CASE WHEN status IN ('scheduled', 'pending', 'retrying') THEN fifo_seq END`;

/**
 * Puts a delivery back to pending with a fresh attempt budget and a new queue token (so any
 * older queue message for it turns stale), whatever its state. On a FIFO endpoint an open delivery
 * keeps its place in the order and a finished one is sent outside it. Null when the tenant has no such delivery.
 */
export async function replayDelivery(db: D1Database, tenantId: string, id: string, now: number): Promise<ScheduledDelivery | null> {
  const params = byIdParams(tenantId, id);
  if (!params) return null;
  return db
    .prepare(`UPDATE deliveries AS d SET ${REPLAY_SET} WHERE ${DELIVERY_BY_ID} RETURNING id, tenant_id, endpoint_id, queue_token`)
    .bind(...params, now)
    .first<ScheduledDelivery>();
}

/** Most deliveries one query of replayFailedForEndpoint replays: ~6 D1 rows read each (the closed indexes move too), so ≤ ~250 a query (issue 25). */
const REPLAY_CHUNK = 40;

/**
 * Replays every failed delivery of an endpoint created at or after `since` (epoch ms), at most
 * `limit`, oldest first: ranges of deliveries_closed_by_endpoint (migrations/shard/0006), which holds
 * only closed deliveries, so it reads about as many rows as it replays, in queries of REPLAY_CHUNK.
 * A replayed delivery leaves the index, so each query starts where the one before ended.
 */
export async function replayFailedForEndpoint(
  db: D1Database,
  tenantId: string,
  endpointId: string,
  since: number,
  now: number,
  limit: number,
): Promise<ScheduledDelivery[]> {
  return inChunks(limit, REPLAY_CHUNK, async (size) =>
    (await db
      .prepare(
        `UPDATE deliveries SET ${REPLAY_SET.replaceAll("?7", "?1")}
         WHERE tenant_id = ?2 AND endpoint_id = ?3 AND id IN (
           SELECT id FROM deliveries INDEXED BY deliveries_closed_by_endpoint
           -- The IN term repeats the partial index's WHERE: without it SQLite may not use the index it is told to.
           WHERE tenant_id = ?2 AND endpoint_id = ?3 AND status IN ('failed', 'cancelled') AND status = 'failed' AND id >= ?4
           ORDER BY id LIMIT ?5)
         RETURNING id, tenant_id, endpoint_id, queue_token`,
      )
      .bind(now, tenantId, endpointId, idFloor(since), size)
      .all<ScheduledDelivery>()).results,
  );
}
