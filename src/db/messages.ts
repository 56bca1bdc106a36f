import { randomBytes, toHex } from "../lib/base64";
import { messageKeyOf, SQL_BUCKET_END, SQL_BUCKET_START, SQL_KEY_FLOOR, SQL_MESSAGE_KEY, sqlMessageKeyOf, tenantBucket, type MessageKey } from "../lib/ids";
import { MESSAGE_DELIVERIES, SUMMARY_COLUMNS, toDeliverySummary, type DeliverySummaryRow } from "./deliveries";
import { decodeCursor, iso, paginate, scanBudget, scannedPage } from "./pagination";
import { EARLY_TOLERANCE_MS, sqlAheadInOrder, sqlWakeNextInOrder, type WokenDelivery } from "./sql";

/** The last error of a delivery cancelled before its first attempt. */
const CANCELLED_UNATTEMPTED = "Cancelled before its first attempt";

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

/** What cancelling a message's deliveries did (cancelUnattemptedDeliveries). */
export interface CancelledMessage {
  /** How many deliveries it cancelled. */
  cancelled: number;
  /** The FIFO deliveries it made the head of their order, each on a new queue chain: the caller queues them now. */
  woken: WokenDelivery[];
}

// ?7: the cancel's own queue token (8 random bytes as hex), which ends each delivery's queue chain
// and tells the wake below which deliveries this very cancel closed.
const CANCEL_UNATTEMPTED = `
  UPDATE deliveries SET status = 'cancelled', last_error = '${CANCELLED_UNATTEMPTED}', next_attempt_at = NULL,
    packed_queue_token = unhex(?7), updated_at = max(?6, created_at + 1)
  WHERE (tenant_id, endpoint_id, id) IN (SELECT d.tenant_id, d.endpoint_id, d.id FROM ${MESSAGE_DELIVERIES} WHERE m.key = ${KEY} AND m.tenant_id = ?4 AND m.id = ?5)
    AND status IN ('scheduled', 'pending') AND attempts = 0
    AND NOT (fifo_seq IS NOT NULL AND coalesce(next_attempt_at, 0) <= ?6 + ?8
      AND EXISTS (SELECT 1 FROM endpoints AS e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.endpoint_id AND e.ordering = 'fifo')
      AND NOT EXISTS (SELECT 1 FROM ${sqlAheadInOrder("deliveries")}))`;

// The places the cancel just closed: the message's FIFO deliveries it cancelled, i.e. those holding
// its token (?7). Only a scheduled head not yet due wakes anything (a due head is never cancelled, a
// delivery behind a head leaves that head ahead of the next). A second cancel of the message, even
// in the same millisecond, cancels nothing and so wakes nothing: the next delivery is woken once.
const WAKE_AFTER_CANCEL = sqlWakeNextInOrder(
  `${MESSAGE_DELIVERIES}
   JOIN endpoints AS e ON e.id = d.endpoint_id AND e.ordering = 'fifo' AND e.enabled = 1
   WHERE m.key = ${KEY} AND m.tenant_id = ?4 AND m.id = ?5
     AND d.fifo_seq IS NOT NULL AND d.status = 'cancelled' AND d.packed_queue_token = unhex(?7)`,
  "?6",
);

/**
 * Cancels the deliveries of a tenant's message that no attempt has reached yet (scheduled, or
 * pending and never attempted): one UPDATE that seeks the message by its key and its few
 * deliveries by primary key. Deliveries attempted already, finished or cancelled are left as they
 * are, so cancelling twice changes nothing. A consumer that finds a cancelled delivery acks it.
 * Cancelling ends the delivery's queue chain (a new queue token), so a first attempt that was
 * already in flight is recorded as the stale attempt it now is (counted, kept in its history) and
 * never revives the delivery into a retry the platform cancelled. The head of a FIFO order that is
 * due (src/delivery/fifo.ts) is left as it is too: its first request may be on its way, and
 * cancelling it would release the next delivery of the order before that request has its answer.
 * Cancelling a head that is scheduled for later wakes the next delivery of its order in the same
 * D1 batch (sqlWakeNextInOrder), so the order goes on now rather than when the cancelled head was due.
 * @param now epoch ms
 */
export async function cancelUnattemptedDeliveries(db: D1Database, tenantId: string, messageId: string, now: number): Promise<CancelledMessage> {
  const key = messageKeyOf(messageId);
  if (!key) return { cancelled: 0, woken: [] };
  const token = toHex(randomBytes(8));
  const params = [...keyParams(key), tenantId, messageId, now, token];
  const [cancel, wake] = await db.batch([db.prepare(CANCEL_UNATTEMPTED).bind(...params, EARLY_TOLERANCE_MS), db.prepare(WAKE_AFTER_CANCEL).bind(...params)]);
  return { cancelled: cancel!.meta.changes, woken: wake!.results as WokenDelivery[] };
}

/** Filters of a message list; `since` is epoch ms. */
export interface MessageListQuery {
  event?: string;
  source?: string;
  since?: number;
  limit: number;
  cursor?: string;
}

/**
 * A page of a tenant's messages, newest first, without payloads: one range of the tenant's bucket
 * of message keys, cut at `since` and at the cursor (keys are time-ordered). Each is written into
 * the range's one lower or upper bound, and only when given: SQLite seeks by a single bound each
 * way and plans before values are bound, so `?6 IS NULL OR key < …` would bound nothing. An `event`
 * or `source` filter has no index (one would cost a D1 row written per message): the list examines
 * at most scanBudget(limit) messages of the range and may answer a short page with a `next_cursor`
 * (src/db/pagination.ts scannedPage).
 */
export async function listMessages(db: D1Database, tenantId: string, query: MessageListQuery) {
  const before = decodeCursor(query.cursor);
  const scan = query.event !== undefined || query.source !== undefined;
  const { results } = await db
    .prepare(
      `SELECT id, event, source, created_at, (?3 IS NULL OR event = ?3) AND (?4 IS NULL OR source = ?4) AS hit FROM messages
       WHERE key >= ${query.since === undefined ? SQL_BUCKET_START("?1") : SQL_KEY_FLOOR("?1", "?5")}
         AND key < ${query.cursor === undefined ? SQL_BUCKET_END("?1") : `min(${SQL_BUCKET_END("?1")}, ${sqlMessageKeyOf("?6")})`} AND tenant_id = ?2
       ORDER BY key DESC LIMIT ?7`,
    )
    .bind(tenantBucket(tenantId), tenantId, query.event ?? null, query.source ?? null, query.since ?? null, before?.id ?? null, scan ? scanBudget(query.limit) : query.limit + 1)
    .all<{ id: string; event: string; source: string | null; created_at: number; hit: number }>();
  const { page, next_cursor } = scan ? scannedPage(results, (m) => m.hit === 1, query.limit, scanBudget(query.limit)) : paginate(results, query.limit);
  return { data: page.map(({ hit: _hit, ...m }) => ({ ...m, created_at: iso(m.created_at) })), next_cursor };
}
