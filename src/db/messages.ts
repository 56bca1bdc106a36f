import { messageKeyOf, SQL_BUCKET_END, SQL_BUCKET_START, SQL_MESSAGE_KEY, sqlMessageKeyOf, tenantBucket, type MessageKey } from "../lib/ids";
import { MESSAGE_DELIVERIES, SUMMARY_COLUMNS, toDeliverySummary, type DeliverySummaryRow } from "./deliveries";
import { decodeCursor, iso, paginate } from "./pagination";

/** A delivery freshly written by enqueue: what the queue message and the 202 need. */
export interface NewDelivery {
  id: string;
  tenant_id: string;
  /** "" for the one-off webhook_url target. */
  endpoint_id: string;
  queue_token: string;
  /** `scheduled` until `next_attempt_at`, else `pending`. */
  status: "scheduled" | "pending";
  /** When a scheduled delivery is due (epoch ms); null for one due at once. */
  next_attempt_at: number | null;
}

/** Thrown when the Idempotency-Key was already used within its window: nothing was stored. */
export class IdempotencyKeyTaken extends Error {
  override name = "IdempotencyKeyTaken";
}

/** Thrown when the tenant does not exist: nothing was stored. */
export class TenantMissing extends Error {
  override name = "TenantMissing";
}

/** Thrown when an explicit endpoint id is not an endpoint of the tenant: nothing was stored. */
export class TargetMissing extends Error {
  override name = "TargetMissing";
}

/** Thrown when the message would have more deliveries than its ids can number (MAX_TARGETS_PER_MESSAGE): nothing was stored. */
export class TooManyTargets extends Error {
  override name = "TooManyTargets";
}

/** Thrown when the tenant's filters changed since enqueue read them (filters_version moved on): nothing was stored; read them again and retry. */
export class FiltersChanged extends Error {
  override name = "FiltersChanged";
}

/** Thrown when another message took the same row key (same tenant bucket, millisecond and sequence): retry with a new id. */
export class MessageKeyTaken extends Error {
  override name = "MessageKeyTaken";
}

/** The key parts of a message id as bound parameters: ?1 bucket, ?2 offset, ?3 seq. */
function keyParams(key: MessageKey): [number, number, number] {
  return [key.bucket, key.offset, key.seq];
}
const KEY = SQL_MESSAGE_KEY("?1", "?2", "?3");

// Event patterns: exact, '*', or a prefix ending in '*'. Compared with substr, not LIKE, so '_'
// and '%' in event names stay literal.
/**
 * SQL for the JSON array of ids of the enabled endpoints of a tenant that listen for an event and
 * source and whose payload filter passed (SQL expressions; `passed` is a JSON array of the ids of
 * the filtered endpoints whose filter the payload passed, evaluated in the Worker, or NULL).
 */
export const matchingEndpoints = (tenant: string, event: string, source: string, passed: string) => `
  SELECT json_group_array(id) FROM (SELECT e.id FROM endpoints AS e
  WHERE e.tenant_id = ${tenant} AND e.enabled = 1
  AND (e.source IS NULL OR e.source = ${source})
  AND (e.filter IS NULL OR e.id IN (SELECT value FROM json_each(${passed})))
  AND (json_array_length(e.events) = 0 OR EXISTS (
    SELECT 1 FROM json_each(e.events) AS p
    WHERE p.value = ${event} OR (substr(p.value, -1) = '*'
      AND substr(${event}, 1, length(p.value) - 1) = substr(p.value, 1, length(p.value) - 1))))
  ORDER BY e.id)`;
/** A message row as polling reads it; `payload` is compressed (src/payloads.ts). */
export interface StoredMessage {
  id: string;
  tenant_id: string;
  event: string;
  source: string | null;
  payload: number[] | null;
  payload_r2: number;
  created_at: number;
}
/**
 * A tenant's message with every delivery's state (one round trip, primary-key reads only), or
 * null. `payload` is still compressed: src/payloads.ts readPayload gives its exact text.
 */
export async function getMessageWithDeliveries(db: D1Database, tenantId: string, id: string) {
  const key = messageKeyOf(id);
  if (!key) return null;
  const [message, deliveries] = await db.batch<StoredMessage | DeliverySummaryRow>([
    db
      .prepare(`SELECT id, tenant_id, event, source, payload, payload_r2, created_at FROM messages WHERE key = ${KEY} AND tenant_id = ?4 AND id = ?5`)
      .bind(...keyParams(key), tenantId, id),
    db
      .prepare(`SELECT ${SUMMARY_COLUMNS} FROM ${MESSAGE_DELIVERIES} WHERE m.key = ${KEY} AND m.tenant_id = ?4 AND m.id = ?5 ORDER BY t.key`)
      .bind(...keyParams(key), tenantId, id),
  ]);
  const row = message!.results[0] as StoredMessage | undefined;
  if (!row) return null;
  return { row, deliveries: (deliveries!.results as DeliverySummaryRow[]).map(toDeliverySummary) };
}

/**
 * Cancels the deliveries of a tenant's message that no attempt has reached yet (scheduled, or
 * pending and never attempted): one UPDATE that seeks the message by its key and its few
 * deliveries by primary key. Deliveries attempted already, finished or cancelled are left as they
 * are, so cancelling twice changes nothing. A consumer that finds a cancelled delivery acks it.
 * @param now epoch ms
 * @returns how many deliveries it cancelled
 */
export async function cancelUnattemptedDeliveries(db: D1Database, tenantId: string, messageId: string, now: number): Promise<number> {
  const key = messageKeyOf(messageId);
  if (!key) return 0;
  const result = await db
    .prepare(
      `UPDATE deliveries SET status = 'cancelled', last_error = 'Cancelled before its first attempt', next_attempt_at = NULL,
         updated_at = max(?6, created_at + 1)
       WHERE (tenant_id, endpoint_id, id) IN (SELECT d.tenant_id, d.endpoint_id, d.id FROM ${MESSAGE_DELIVERIES} WHERE m.key = ${KEY} AND m.tenant_id = ?4 AND m.id = ?5)
         AND status IN ('scheduled', 'pending') AND attempts = 0`,
    )
    .bind(...keyParams(key), tenantId, messageId, now)
    .run();
  return result.meta.changes;
}

/** A page of a tenant's messages, newest first, without payloads: one range of the tenant's bucket of message keys. */
export async function listMessages(
  db: D1Database,
  tenantId: string,
  query: { event?: string; limit: number; cursor?: string },
) {
  const before = decodeCursor(query.cursor);
  const bucket = tenantBucket(tenantId);
  const { results } = await db
    .prepare(
      `SELECT id, event, source, created_at FROM messages
       WHERE key >= ${SQL_BUCKET_START("?1")} AND key < ${SQL_BUCKET_END("?1")} AND tenant_id = ?2 AND (?3 IS NULL OR event = ?3)
         AND (?4 IS NULL OR key < ${sqlMessageKeyOf("?4")})
       ORDER BY key DESC LIMIT ?5`,
    )
    .bind(bucket, tenantId, query.event ?? null, before?.id ?? null, query.limit + 1)
    .all<{ id: string; event: string; source: string | null; created_at: number }>();
  const { page, next_cursor } = paginate(results, query.limit);
  return { data: page.map((m) => ({ ...m, created_at: iso(m.created_at) })), next_cursor };
}
