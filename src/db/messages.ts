import { MAX_TARGETS_PER_MESSAGE, messageKeyOf, SQL_BUCKET_END, SQL_BUCKET_START, SQL_MESSAGE_KEY, sqlMessageKeyOf, tenantBucket, type MessageKey } from "../lib/ids";
import { MESSAGE_DELIVERIES, SUMMARY_COLUMNS, toDeliverySummary, type DeliverySummaryRow } from "./deliveries";
import { decodeCursor, iso, paginate } from "./pagination";
import { SQL_QUEUE_TOKEN } from "./sql";

/** A delivery freshly written by enqueue: what the queue message and the 202 need. */
export interface NewDelivery {
  id: string;
  tenant_id: string;
  /** "" for the one-off webhook_url target. */
  endpoint_id: string;
  queue_token: string;
}

/** What to store for one enqueue request. */
export interface MessageToStore {
  /** A message id from src/lib/ids.ts: it carries the row's key. */
  id: string;
  tenantId: string;
  event: string;
  source: string | null;
  /** The compressed payload, or null when it is in R2. */
  payload: Uint8Array | null;
  payloadInR2: boolean;
  now: number;
  /** Explicit targets; when absent, every enabled endpoint whose events and source match. */
  endpointIds?: string[];
  webhookUrl?: string;
  idempotency?: { key: string; requestHash: string; expiresBefore: number };
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
/** SQL for the JSON array of ids of the enabled endpoints of a tenant that listen for an event and source (SQL expressions). */
export const matchingEndpoints = (tenant: string, event: string, source: string) => `
  SELECT json_group_array(id) FROM (SELECT e.id FROM endpoints AS e
  WHERE e.tenant_id = ${tenant} AND e.enabled = 1
  AND (e.source IS NULL OR e.source = ${source})
  AND (json_array_length(e.events) = 0 OR EXISTS (
    SELECT 1 FROM json_each(e.events) AS p
    WHERE p.value = ${event} OR (substr(p.value, -1) = '*'
      AND substr(${event}, 1, length(p.value) - 1) = substr(p.value, 1, length(p.value) - 1))))
  ORDER BY e.id)`;
const MATCHING_ENDPOINTS = matchingEndpoints("?4", "?6", "?7");

/**
 * Stores a message and one pending delivery per target in ONE atomic D1 batch (the idempotency
 * key too): 1 row for the message and 1 per delivery, with no secondary index entry. The message
 * row is selected from the tenant's row (no tenant, nothing stored: TenantMissing); its `targets`
 * are the matching endpoints, or the explicit ones, plus "" for a webhook_url; every delivery row
 * joins its target to the tenant's endpoints, so an unknown explicit target makes its tenant_id
 * NULL and rolls the whole batch back (TargetMissing). More targets than a delivery id can number
 * make `targets` NULL, which rolls it back too (TooManyTargets).
 *
 * @throws MessageKeyTaken when the id's row key is taken (the caller retries with a new id)
 */
export async function storeMessage(db: D1Database, m: MessageToStore): Promise<NewDelivery[]> {
  const key = messageKeyOf(m.id)!;
  const targets = m.endpointIds ? "json(?8)" : `(${MATCHING_ENDPOINTS})`;
  const withOneOff = `CASE WHEN ?9 IS NULL THEN ${targets} ELSE json_insert(${targets}, '$[#]', '') END`;
  const statements: D1PreparedStatement[] = [
    db
      .prepare(
        `INSERT INTO messages (key, tenant_id, id, event, source, targets, webhook_url, payload, payload_r2, created_at)
         SELECT ${KEY}, id, ?5, ?6, ?7,
                (SELECT CASE WHEN json_array_length(t) <= ${MAX_TARGETS_PER_MESSAGE} THEN t END FROM (SELECT ${withOneOff} AS t)),
                ?9, ?10, ?11, ?12
         FROM tenants WHERE id = ?4 RETURNING id`,
      )
      .bind(...keyParams(key), m.tenantId, m.id, m.event, m.source, JSON.stringify(m.endpointIds ?? []), m.webhookUrl ?? null,
        m.payload, m.payloadInR2 ? 1 : 0, m.now),
  ];
  if (m.idempotency) {
    const { key: idempotencyKey, requestHash, expiresBefore } = m.idempotency;
    statements.push(
      db.prepare("DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND created_at < ?").bind(m.tenantId, idempotencyKey, expiresBefore),
      // No ON CONFLICT: a live key makes this fail and the whole batch roll back.
      db
        .prepare(
          `INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, created_at)
           SELECT tenant_id, ?4, ?5, id, created_at FROM messages WHERE key = ${KEY}`,
        )
        .bind(...keyParams(key), idempotencyKey, requestHash),
    );
  }
  statements.push(
    db
      .prepare(
        `INSERT INTO deliveries (tenant_id, endpoint_id, id, status, queue_token, enqueued_at, created_at, updated_at)
         SELECT CASE WHEN t.value = '' THEN m.tenant_id ELSE e.tenant_id END, t.value,
                substr(m.id, 1, 32) || printf('%04x', t.key + 1), 'pending', ${SQL_QUEUE_TOKEN}, m.created_at, m.created_at, m.created_at
         FROM messages AS m JOIN json_each(m.targets) AS t
         LEFT JOIN endpoints AS e ON e.id = t.value AND e.tenant_id = m.tenant_id
         WHERE m.key = ${KEY}
         RETURNING id, tenant_id, endpoint_id, queue_token`,
      )
      .bind(...keyParams(key)),
  );
  let results: D1Result<NewDelivery>[];
  try {
    results = await db.batch<NewDelivery>(statements);
  } catch (error) {
    const reason = String(error);
    if (m.idempotency && reason.includes("UNIQUE constraint failed: idempotency_keys")) throw new IdempotencyKeyTaken();
    if (m.endpointIds && reason.includes("NOT NULL constraint failed: deliveries.tenant_id")) throw new TargetMissing();
    if (reason.includes("UNIQUE constraint failed: messages.key")) throw new MessageKeyTaken();
    if (reason.includes("NOT NULL constraint failed: messages.targets")) throw new TooManyTargets();
    throw error;
  }
  if (results[0]!.results.length === 0) throw new TenantMissing();
  return results.at(-1)!.results;
}

/**
 * The message an Idempotency-Key points at, with the hash of the request that set it, or null.
 * Expired keys linger until an insert of the same key or the sweeper deletes them, so a caller
 * that has not just deleted them passes `liveSince` (epoch ms): a key set before it is not found.
 */
export async function findIdempotencyKey(
  db: D1Database,
  tenantId: string,
  key: string,
  liveSince = 0,
): Promise<{ message_id: string; request_hash: string } | null> {
  return db
    .prepare("SELECT message_id, request_hash FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND created_at >= ?")
    .bind(tenantId, key, liveSince)
    .first();
}

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
