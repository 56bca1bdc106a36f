import type { NewDelivery } from "../db/messages";
import { enqueueDeliveries } from "../delivery/task";
import { checkRequest } from "./enqueue-checks";
import { hashKeys, type EnqueueResult } from "./enqueue-replays";
import { BATCH, type BatchRequest, type EnqueueRequest, type RequestForm } from "./enqueue-request";
import { storeRequest } from "./enqueue-store";
import { onTenantShard } from "./tenant-db";

/**
 * The one enqueue pipeline. A single enqueue is a batch of one; the routes differ only in the
 * form their errors name fields in (src/ops/enqueue-request.ts). It imports neither the routes
 * nor operational events, which enqueue through it.
 */

/** What an enqueue answers: one result per message, in order. */
export interface EnqueueOutcome {
  results: EnqueueResult[];
  /** Whether the batch's Idempotency-Key header replayed its first response: nothing new was stored. */
  replayed: boolean;
}

/**
 * Enqueues the messages of one tenant, all or nothing: checks every message first
 * (src/ops/enqueue-checks.ts: size 413, target guard 400/503, enforced schema 422), then stores
 * every message, its pending deliveries (one per target: `endpoint_ids`, else every enabled
 * endpoint whose events and source match, plus a one-off `webhook_url`) and its idempotency keys in
 * ONE D1 batch on the tenant's shard (src/ops/enqueue-store.ts), then queues every delivery in as
 * few sendBatch calls as Queues allows. So an enqueue costs one D1 round trip and one queue call
 * per 100 queue messages (plus one control-database read of the tenant's shard the first time
 * this isolate sees the tenant). A live key of this same request (a message's own, or the
 * Idempotency-Key header of a batch, IDEMPOTENCY_WINDOW_MS) replays its first response and stores
 * nothing new for it, at the cost of one more D1 read. A failed queue send is logged, not fatal:
 * the rows are durable and the sweeper enqueues them.
 *
 * @param now epoch ms
 * @throws ApiError 413 `payload_too_large`, 400 (target guard) or 503 (its DNS), 422
 *   `payload_schema_mismatch`, 404 `not_found` for an unknown tenant, 404 `endpoint_not_found`
 *   naming every unknown explicit target, 422 `too_many_targets` when a message would reach more
 *   than MAX_TARGETS_PER_MESSAGE endpoints, 422 `idempotency_key_reused`, 409
 *   `idempotency_conflict`, 503 `temporarily_unavailable` when every attempt at free row keys
 *   clashed with concurrent enqueues; every path named in the route's `form`
 */
export async function enqueue(env: Env, batch: BatchRequest, form: RequestForm, now = Date.now()): Promise<EnqueueOutcome> {
  const keys = await hashKeys(batch);
  const known = await checkRequest(env, batch, keys, form, now);
  if (known.whole) return { results: known.whole, replayed: true };
  return onTenantShard(env, batch.tenantId, async ({ db, index }) => {
    const { results, deliveries, replayed } = await storeRequest(env, db, batch, keys, form, known.replays, now);
    await queue(env, index, deliveries, now);
    return { results, replayed };
  });
}

/**
 * Queues the deliveries just stored on shard `shard` (scheduled ones after their first hop's delay);
 * a failure is logged, since the sweeper enqueues what stays pending or scheduled past its time.
 */
async function queue(env: Env, shard: number, deliveries: NewDelivery[], now: number): Promise<void> {
  if (deliveries.length === 0) return;
  try {
    await enqueueDeliveries(env.DELIVERIES, shard, deliveries, now);
  } catch (error) {
    console.error(`${deliveries.length} deliveries: queue send failed, the sweeper will enqueue them: ${(error as Error).message}`);
  }
}

/**
 * Enqueues up to MAX_BATCH_MESSAGES messages of one tenant, as `POST …/messages/batch` does
 * without an Idempotency-Key header (operational events use it): see enqueue.
 * @returns one result per message, in order
 */
export async function enqueueBatch(env: Env, tenantId: string, requests: EnqueueRequest[], now = Date.now()): Promise<EnqueueResult[]> {
  return (await enqueue(env, { tenantId, requests }, BATCH, now)).results;
}
