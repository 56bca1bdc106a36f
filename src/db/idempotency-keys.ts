import { sqlMessageKeyOf } from "../lib/ids";
import { IdempotencyKeyTaken } from "./messages";

/**
 * Idempotency keys, per tenant, one namespace for every enqueue: the Idempotency-Key of a single
 * enqueue and each batch item's `idempotency_key` point at their message (`message_id`); the
 * Idempotency-Key header of a batch points at the whole batch (`batch`, its messages in order, with
 * the ones its first response replayed marked). A key is live for IDEMPOTENCY_WINDOW_MS; the
 * statements that set one delete an expired one of the same name first, and the sweeper deletes
 * the rest.
 */

/** The Idempotency-Key header of a batch, to store with the batch it covers. */
export interface BatchKeyToStore {
  key: string;
  requestHash: string;
  /** The batch's messages in order; `replayed` for the ones its response replayed (stored before). */
  messages: Array<{ id: string; replayed: boolean }>;
}

const DELETE_EXPIRED_KEY = "DELETE FROM idempotency_keys WHERE tenant_id = ?1 AND key = ?2 AND created_at < ?3";
// No ON CONFLICT: a live key makes this fail and the whole D1 batch roll back. Selected from the
// tenant's row, so a tenant that is not on the shard gets no key.
const INSERT_BATCH_KEY = `
  INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, created_at, batch)
  SELECT id, ?2, ?3, ?4, ?5, ?6 FROM tenants WHERE id = ?1`;

/**
 * The statements that set a batch's key at `now` (epoch ms), deleting an expired one of the same
 * name (set before `expiresBefore`) first: one row written, in the same D1 batch as the messages.
 */
export function batchKeyStatements(db: D1Database, tenantId: string, key: BatchKeyToStore, now: number, expiresBefore: number): D1PreparedStatement[] {
  const batch = JSON.stringify(key.messages.map(({ id, replayed }) => (replayed ? { id, replayed } : { id })));
  return [
    db.prepare(DELETE_EXPIRED_KEY).bind(tenantId, key.key, expiresBefore),
    db.prepare(INSERT_BATCH_KEY).bind(tenantId, key.key, key.requestHash, key.messages[0]!.id, now, batch),
  ];
}

/**
 * Sets a batch's key alone, for a batch that stores no message (every item replayed by its own
 * key): one D1 round trip.
 * @throws IdempotencyKeyTaken when the key is live
 */
export async function storeBatchKey(db: D1Database, tenantId: string, key: BatchKeyToStore, now: number, expiresBefore: number): Promise<void> {
  try {
    await db.batch(batchKeyStatements(db, tenantId, key, now, expiresBefore));
  } catch (error) {
    if (String(error).includes("UNIQUE constraint failed: idempotency_keys")) throw new IdempotencyKeyTaken();
    throw error;
  }
}

/** A message an idempotency key points at: enough to rebuild the response that stored it. */
export interface KeyedMessage {
  id: string;
  event: string;
  source: string | null;
  /** JSON array of the message's targets, in delivery ordinal order ("" = the one-off webhook_url). */
  targets: string;
  created_at: number;
  /** Whether the first response of the key's batch had replayed this message (always false for a message's own key). */
  replayed: boolean;
}

/** A live idempotency key: the hash of the request that set it and its messages in order (null for one purged meanwhile). */
export interface KeyedRequest {
  key: string;
  request_hash: string;
  messages: Array<KeyedMessage | null>;
}

interface KeyedRow extends Omit<KeyedMessage, "id" | "replayed"> {
  key: string;
  request_hash: string;
  /** The message's place in the key's list (json_each's key: 0, 1, …). */
  position: number;
  id: string | null;
  replayed: number | null;
}

/**
 * The live (created at or after `liveFrom`, epoch ms) idempotency keys among `keys`, each with its
 * messages, in one query: one primary-key seek per key asked, then one per message. The join order
 * is forced (CROSS JOIN): without planner statistics SQLite otherwise sought the tenant's keys by
 * tenant alone and read every one of them (issue 25, test/reads-at-volume.test.ts). Messages are put
 * in their place from their position in the key's list, so nothing is sorted.
 */
export async function findKeyedRequests(db: D1Database, tenantId: string, keys: string[], liveFrom: number): Promise<KeyedRequest[]> {
  const { results } = await db
    .prepare(
      `SELECT k.key, k.request_hash, j.key AS position, j.value ->> 'replayed' AS replayed, m.id, m.event, m.source, m.targets, m.created_at
       FROM json_each(?2) AS q
       CROSS JOIN idempotency_keys AS k ON k.tenant_id = ?1 AND k.key = q.value
       CROSS JOIN json_each(coalesce(k.batch, json_array(json_object('id', k.message_id)))) AS j
       LEFT JOIN messages AS m ON m.key = ${sqlMessageKeyOf("(j.value ->> 'id')")} AND m.tenant_id = k.tenant_id AND m.id = j.value ->> 'id'
       WHERE k.created_at >= ?3`,
    )
    .bind(tenantId, JSON.stringify(keys), liveFrom)
    .all<KeyedRow>();
  const found = new Map<string, KeyedRequest>();
  for (const { key, request_hash, position, replayed, id, ...message } of results) {
    const request = found.get(key) ?? { key, request_hash, messages: [] };
    found.set(key, request);
    request.messages[position] = id === null ? null : { id, ...message, replayed: replayed === 1 };
  }
  return [...found.values()];
}
