import { toHex } from "../lib/base64";
import { KEY_EPOCH_MS, MAX_TARGETS_PER_MESSAGE, messageKeyOf, packedMessageId, rowKeyText } from "../lib/ids";
import { batchKeyStatements, type BatchKeyToStore } from "./idempotency-keys";
import { FiltersChanged, IdempotencyKeyTaken, matchingEndpoints, MessageKeyTaken, TargetMissing, TenantMissing, TooManyTargets, type NewDelivery } from "./messages";
import { SQL_QUEUE_TOKEN } from "./sql";

/** One message of a batch to store. */
export interface BatchMessageToStore {
  /** A message id from src/lib/ids.ts: it carries the row's key (distinct within the batch). */
  id: string;
  event: string;
  source: string | null;
  /** The compressed payload, or null when it is in R2. */
  payload: Uint8Array | null;
  payloadInR2: boolean;
  /** Explicit targets; when absent, every enabled endpoint whose events and source match. */
  endpointIds?: string[];
  webhookUrl?: string;
  /** When its deliveries are due (epoch ms, after the batch's `now`): they are `scheduled` until then. Null: due at once, `pending`. */
  dueAt: number | null;
  /** The order its deliveries to FIFO endpoints keep (their `ordering_key`); absent = the endpoint's order without a key. */
  orderingKey?: string;
  /** Ids of the tenant's filtered endpoints whose payload filter this message passed (fan-out only). */
  passedFilters?: string[];
  idempotency?: { key: string; requestHash: string };
}

/** A batch of one tenant's messages, all created at `now` (epoch ms). */
export interface MessageBatchToStore {
  tenantId: string;
  now: number;
  /** Idempotency keys created before this (epoch ms) have expired: the batch deletes them. */
  expiresBefore: number;
  /** The tenant's filters_version the messages' passedFilters were evaluated at: any other rolls the batch back (FiltersChanged). */
  filtersVersion: number;
  messages: BatchMessageToStore[];
  /** The Idempotency-Key header that covers the whole batch, stored in the same D1 batch. */
  batchKey?: BatchKeyToStore;
}

/**
 * Bound parameters stay far below D1's 2 MB value limit: a batch's messages travel as JSON arrays of
 * at most this many characters (a hundred 4 KiB payloads compress to ~200 KB of hex: one array).
 */
const MESSAGES_JSON_CHARS = 500_000;

/** The messages as JSON arrays of at most MESSAGES_JSON_CHARS characters each; payload bytes as hex for unhex(). */
function messageChunks(batch: MessageBatchToStore): Array<{ full: string; keys: string }> {
  const chunks: Array<{ full: string; keys: string }> = [];
  let full: string[] = [];
  let keys: string[] = [];
  let size = 2;
  const flush = () => {
    chunks.push({ full: `[${full.join(",")}]`, keys: `[${keys.join(",")}]` });
    full = [];
    keys = [];
    size = 2;
  };
  for (const m of batch.messages) {
    const parsed = messageKeyOf(m.id)!;
    const key = rowKeyText(parsed);
    const row = JSON.stringify({
      key,
      packed_id: packedMessageId(m.id, parsed),
      event: m.event,
      source: m.source,
      endpoint_ids: m.endpointIds,
      webhook_url: m.webhookUrl,
      passed: m.passedFilters,
      payload: m.payload ? toHex(m.payload) : null,
      r2: m.payloadInR2 ? 1 : 0,
    });
    if (full.length > 0 && size + row.length + 1 > MESSAGES_JSON_CHARS) flush();
    full.push(row);
    keys.push(JSON.stringify({ key, k: m.idempotency?.key, h: m.idempotency?.requestHash, due: m.dueAt, ok: m.orderingKey }));
    size += row.length + 1;
  }
  if (full.length > 0) flush();
  return chunks;
}

const ROW = "CAST(j.value ->> 'key' AS INTEGER)";
const TARGETS = `(CASE WHEN j.value -> 'endpoint_ids' IS NOT NULL THEN json(j.value -> 'endpoint_ids')
  ELSE (${matchingEndpoints("t.id", "(j.value ->> 'event')", "(j.value ->> 'source')", "(j.value -> 'passed')")}) END)`;
const WITH_ONE_OFF = `CASE WHEN j.value ->> 'webhook_url' IS NULL THEN ${TARGETS} ELSE json_insert(${TARGETS}, '$[#]', '') END`;
// More targets than a delivery id can number make `targets` NULL, which rolls the whole batch back
// (TooManyTargets). The subquery evaluates the targets once.
const CAPPED_TARGETS = `(SELECT CASE WHEN json_array_length(x) <= ${MAX_TARGETS_PER_MESSAGE} THEN x END FROM (SELECT ${WITH_ONE_OFF} AS x))`;
/**
 * A canonical lowercase UUID (SQL expression) as 16 bytes; NULL for any other text, which must stay
 * text to come back the same: other dashes or other characters than hex digits (unhex() gives NULL).
 */
const UUID_BYTES = (uuid: string) =>
  `(SELECT CASE WHEN length(u) = 36 AND lower(u) = u AND substr(u, 9, 1) || substr(u, 14, 1) || substr(u, 19, 1) || substr(u, 24, 1) = '----'
     AND length(replace(u, '-', '')) = 32 THEN unhex(replace(u, '-', '')) END FROM (SELECT ${uuid} AS u))`;
// The row's `targets` as it is stored (migrations/shard/0014): one endpoint id as its 16 bytes, any
// other list as JSON text. NULL stays NULL (TooManyTargets).
const PACKED_TARGETS = `(SELECT CASE WHEN json_array_length(x) = 1 THEN coalesce(${UUID_BYTES("x ->> 0")}, x) ELSE x END FROM (SELECT ${CAPPED_TARGETS} AS x))`;

// Every statement takes a whole chunk of messages as one JSON parameter (json_each), so a batch of
// 100 messages binds a handful of parameters, far from D1's 100 per statement, and its statement
// count does not grow with the batch.
// A filters_version other than the one the filters were evaluated at makes `event` NULL, which
// rolls the whole batch back (FiltersChanged).
const INSERT_MESSAGES = `
  INSERT INTO messages (key, tenant_id, packed_id, event, source, packed_targets, webhook_url, payload, payload_r2, packed_created_at)
  SELECT ${ROW}, t.id, unhex(j.value ->> 'packed_id'), CASE WHEN t.filters_version = ?4 THEN j.value ->> 'event' END, j.value ->> 'source',
         ${PACKED_TARGETS},
         j.value ->> 'webhook_url', unhex(j.value ->> 'payload'), j.value ->> 'r2',
         CASE WHEN ?3 = ${KEY_EPOCH_MS} + ((${ROW} >> 7) & ${2 ** 40 - 1}) THEN 0 ELSE ?3 END
  FROM tenants AS t JOIN json_each(?2) AS j
  WHERE t.id = ?1
  RETURNING id`;
const DELETE_EXPIRED_KEYS = `
  DELETE FROM idempotency_keys
  WHERE tenant_id = ?1 AND key IN (SELECT value ->> 'k' FROM json_each(?2) WHERE value ->> 'k' IS NOT NULL) AND created_at < ?3`;
// No ON CONFLICT: a live key makes this fail and the whole batch roll back.
const INSERT_KEYS = `
  INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, created_at)
  SELECT m.tenant_id, j.value ->> 'k', j.value ->> 'h', m.id, m.created_at
  FROM json_each(?2) AS j JOIN messages AS m ON m.key = ${ROW} AND m.tenant_id = ?1
  WHERE j.value ->> 'k' IS NOT NULL`;
// A delivery to a FIFO endpoint takes the next place in its order (endpoint and ordering key): one
// past the last place of the order's open deliveries (one seek of deliveries_in_order), plus its
// rank among this statement's messages of that order, in request order (json_each's key). D1 runs
// one write at a time, so a delivery stored later always gets a later place; the enqueue order is
// the order of commits. Places only compare among open deliveries, so an order that emptied starts over.
const ORDER_KEY = "coalesce(j.value ->> 'ok', '')";
const FIFO_SEQ = `coalesce((SELECT max(o.fifo_seq) FROM deliveries AS o
    WHERE o.tenant_id = m.tenant_id AND o.endpoint_id = t.value AND o.ordering_key = ${ORDER_KEY}
      AND o.fifo_seq IS NOT NULL AND o.status IN ('scheduled', 'pending', 'retrying')), 0)
  + row_number() OVER (PARTITION BY t.value, ${ORDER_KEY} ORDER BY j.key)`;
// An unknown explicit target makes tenant_id NULL and rolls the whole batch back (TargetMissing).
// A delayed message's deliveries wait as 'scheduled' with their due time (deliveries_scheduled
// watches them); the others are 'pending' with no index entry (a FIFO delivery: one, in deliveries_in_order).
const INSERT_DELIVERIES = `
  INSERT INTO deliveries (tenant_id, endpoint_id, id, status, packed_queue_token, enqueued_at, next_attempt_at, ordering_key, fifo_seq, created_at, updated_at)
  SELECT CASE WHEN t.value = '' THEN m.tenant_id ELSE e.tenant_id END, t.value,
         substr(m.id, 1, 32) || printf('%04x', t.key + 1), CASE WHEN j.value ->> 'due' IS NULL THEN 'pending' ELSE 'scheduled' END,
         ${SQL_QUEUE_TOKEN}, m.created_at, j.value ->> 'due',
         CASE WHEN e.ordering = 'fifo' THEN ${ORDER_KEY} END, CASE WHEN e.ordering = 'fifo' THEN ${FIFO_SEQ} END,
         m.created_at, m.created_at
  FROM json_each(?2) AS j JOIN messages AS m ON m.key = ${ROW} AND m.tenant_id = ?1
  JOIN json_each(m.targets) AS t
  LEFT JOIN endpoints AS e ON e.id = t.value AND e.tenant_id = m.tenant_id
  RETURNING id, tenant_id, endpoint_id, queue_token, status, next_attempt_at`;

/**
 * Stores a batch of one tenant's messages (a single enqueue is a batch of one), each with one
 * pending (or, with a `dueAt`, scheduled) delivery per target and its idempotency key, in ONE atomic D1 batch of four statements
 * per chunk of messages (one chunk up to ~500 KB of compressed payloads), plus two for a
 * `batchKey`. Rows written: 1 per message, 1 per delivery and 1 per key (with no secondary index
 * entry but the keys' age index, and deliveries_in_order's for a delivery to a FIFO endpoint). The message rows are selected from the tenant's row (no tenant,
 * nothing stored); a message's `targets` are the matching endpoints (events, source and payload filter: see
 * matchingEndpoints), or the explicit ones, plus ""
 * for a webhook_url. Returns the deliveries written, in no particular order (a delivery id names its message).
 *
 * @throws TenantMissing when the tenant is not on this shard; TargetMissing when an explicit endpoint
 *   id is not the tenant's; IdempotencyKeyTaken when a live key is among the batch's;
 *   MessageKeyTaken when a row key is taken (retry with new ids); TooManyTargets when a message would
 *   have more than MAX_TARGETS_PER_MESSAGE deliveries; FiltersChanged when the tenant's
 *   filters_version is not `filtersVersion`. Nothing is stored in any of these.
 */
export async function storeMessages(db: D1Database, batch: MessageBatchToStore): Promise<NewDelivery[]> {
  const withKeys = batch.messages.some((m) => m.idempotency);
  const statements: D1PreparedStatement[] = [];
  const deliveryResults: number[] = [];
  for (const { full, keys } of messageChunks(batch)) {
    statements.push(db.prepare(INSERT_MESSAGES).bind(batch.tenantId, full, batch.now, batch.filtersVersion));
    if (withKeys) {
      statements.push(
        db.prepare(DELETE_EXPIRED_KEYS).bind(batch.tenantId, keys, batch.expiresBefore),
        db.prepare(INSERT_KEYS).bind(batch.tenantId, keys),
      );
    }
    deliveryResults.push(statements.length);
    statements.push(db.prepare(INSERT_DELIVERIES).bind(batch.tenantId, keys));
  }
  if (batch.batchKey) statements.push(...batchKeyStatements(db, batch.tenantId, batch.batchKey, batch.now, batch.expiresBefore));
  let results: D1Result<NewDelivery>[];
  try {
    results = await db.batch<NewDelivery>(statements);
  } catch (error) {
    const reason = String(error);
    if (reason.includes("UNIQUE constraint failed: idempotency_keys")) throw new IdempotencyKeyTaken();
    if (reason.includes("NOT NULL constraint failed: deliveries.tenant_id")) throw new TargetMissing();
    if (reason.includes("UNIQUE constraint failed: messages.key")) throw new MessageKeyTaken();
    if (reason.includes("NOT NULL constraint failed: messages.packed_targets")) throw new TooManyTargets();
    if (reason.includes("NOT NULL constraint failed: messages.event")) throw new FiltersChanged();
    throw error;
  }
  if (results[0]!.results.length === 0) throw new TenantMissing();
  return deliveryResults.flatMap((i) => results[i]!.results);
}
