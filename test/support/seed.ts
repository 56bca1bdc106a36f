import { env } from "cloudflare:workers";
import { insertEndpointStatement } from "../../src/db/endpoints";
import { storeMessages } from "../../src/db/message-batch";
import { enqueueDeliveries } from "../../src/delivery/task";
import { newMessageId } from "../../src/lib/ids";
import { payloadKey } from "../../src/payloads";
import type { CreateEndpointInput } from "../../src/schemas/endpoints";
import { createSecret } from "../../src/secrets";
import { shardIndexOf, shardOf } from "./shards";
import { holdingQueue } from "./worker";

/**
 * Seeding through the repository's own storage functions, for tests that need hundreds of rows
 * but test what a consumer does with them, not the API that writes them: the same D1 rows and KV
 * and R2 keys as the API, without one request (and one round trip per row) each; and bare endpoint
 * rows for upkeep tests that need thousands and read nothing of them but their keys.
 */

/**
 * Writes `count` HMAC endpoints of the tenant as createEndpoint stores them (src/ops/endpoints.ts):
 * each one's secret in KV, then every row in one D1 batch. The target guard is not run: `input`
 * must be a target the API would accept. A `secretVersion` above 0 writes each secret as a rotation
 * leaves it instead: two KV keys (the versioned one and the current one) and the row's
 * `secret_version`. Returns their ids.
 */
export async function seedEndpoints(tenantId: string, count: number, input: CreateEndpointInput, options: { secretVersion?: number } = {}): Promise<string[]> {
  const version = options.secretVersion ?? 0;
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  await Promise.all(ids.map((id) => createSecret(env, { kind: "endpoint", id }, undefined, "hmac", version)));
  const db = await shardOf(tenantId);
  const now = Date.now();
  const rows = await db.batch(ids.map((id) => insertEndpointStatement(db, tenantId, id, input, now)));
  if (rows.some((r) => r.results.length !== 1)) throw new Error(`tenant ${tenantId} is not on its shard`);
  if (version > 0) {
    await db
      .prepare("UPDATE endpoints SET secret_version = ?1 WHERE tenant_id = ?2 AND id IN (SELECT value FROM json_each(?3))")
      .bind(version, tenantId, JSON.stringify(ids))
      .run();
  }
  return ids;
}

/**
 * Writes bare endpoint rows of `tenantId` with `ids` straight to shard `db` in one batch: no secrets
 * and no settings, for tests of upkeep that reads none of them but needs thousands of endpoints.
 */
export function insertBareEndpoints(db: D1Database, tenantId: string, ids: string[]): Promise<D1Result[]> {
  return db.batch(ids.map((id) => db.prepare("INSERT INTO endpoints (id, tenant_id, url, signature, retry, timeout_ms, created_at, updated_at) VALUES (?, ?, 'https://example.com/hook', '{}', '{}', 1000, 0, 0)").bind(id, tenantId)));
}

/** Messages a batch stores in one millisecond: each takes its own of the millisecond's row-key sequences. */
const MESSAGES_PER_MS = 100;

/**
 * Writes messages of the tenant whose payload is in R2, each to its own explicit targets, as
 * enqueue stores them (src/ops/enqueue-store.ts): each message's own R2 object holding
 * `payload` (already compressed, as src/payloads.ts storePayload makes it), then the messages and
 * their pending deliveries through storeMessages, 100 to a millisecond as a batch request would.
 * Returns the queue messages enqueue would send for them.
 */
export async function seedR2Messages(tenantId: string, payload: Uint8Array, targets: string[][]): Promise<unknown[]> {
  const [db, shard] = await Promise.all([shardOf(tenantId), shardIndexOf(tenantId)]);
  const { queue, sent } = holdingQueue();
  const start = Date.now();
  for (let first = 0; first < targets.length; first += MESSAGES_PER_MS) {
    const now = start + first / MESSAGES_PER_MS;
    const batch = targets.slice(first, first + MESSAGES_PER_MS).map((endpointIds, seq) => ({ id: newMessageId(tenantId, now, seq), endpointIds }));
    await Promise.all(batch.map(({ id }) => env.PAYLOADS.put(payloadKey(tenantId, id), payload)));
    const deliveries = await storeMessages(db, {
      tenantId,
      now,
      expiresBefore: 0,
      filtersVersion: 0,
      messages: batch.map(({ id, endpointIds }) => ({ id, event: "seeded", source: null, payload: null, payloadInR2: true, endpointIds, dueAt: null })),
    });
    await enqueueDeliveries(queue, shard, deliveries, now);
  }
  return sent;
}
