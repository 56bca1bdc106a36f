import type { z } from "zod";
import { readConfig } from "../config";
import { existingEndpointIds } from "../db/endpoints";
import { findKeyedMessages, storeMessages, type KeyedMessage } from "../db/message-batch";
import { IdempotencyKeyTaken, MessageKeyTaken, TargetMissing, TenantMissing, TooManyTargets, type NewDelivery } from "../db/messages";
import { iso } from "../db/pagination";
import { hasTenantMirror } from "../db/shard-tenants";
import { enqueueDeliveries } from "../delivery/task";
import { ApiError, type ErrorIssue } from "../errors";
import { sha256Hex } from "../lib/digest";
import { memberTextOfEach } from "../lib/json-text";
import { deliveryIdOf, MAX_TARGETS_PER_MESSAGE, messageIdOf, newMessageId, SEQUENCES_PER_MS } from "../lib/ids";
import { IDEMPOTENCY_WINDOW_MS, IDEMPOTENCY_WINDOW_TEXT } from "../limits";
import { storePayload, type StoredPayload } from "../payloads";
import type { BatchEnqueueBody, EnqueueResponse } from "../schemas/messages";
import type { TenantShard } from "../shards";
import { assertPayloadsMatch } from "./event-type-checks";
import { assertAllowedTarget } from "./guards";
import { byId, discardPayloads, enqueueRequestFrom, KEY_ATTEMPTS, keysBusy, nextKeyMillisecond, payloadSizeProblem, storedNothing, type EnqueueRequest } from "./messages";
import { onTenantShard } from "./tenant-db";

/** One message's answer in a batch: the single-enqueue response, marked when an idempotency key replayed it. */
export type BatchEnqueueResult = EnqueueResponse & { replayed?: true };

/**
 * The enqueue requests of a `POST …/messages/batch`, one per item in order, each payload's exact
 * text taken from the request's text (src/lib/json-text.ts), as for a single enqueue.
 *
 * @param requestText the request body, already accepted by JSON.parse and by BatchEnqueueBody
 */
export function batchRequestOf(tenantId: string, body: z.output<typeof BatchEnqueueBody>, requestText: string): EnqueueRequest[] {
  const payloads = memberTextOfEach(requestText, "messages", "payload");
  return body.messages.map(({ idempotency_key, ...item }, index) => {
    const payload = payloads[index];
    if (payload === undefined) throw new Error(`batchRequestOf: messages.${index} has no payload member`);
    return enqueueRequestFrom(tenantId, item, payload, idempotency_key);
  });
}

/**
 * The batch's own checks, all before anything is stored: every payload within MAX_PAYLOAD_BYTES
 * (413), every payload matching its event type's enforced schema (422 `payload_schema_mismatch`,
 * src/ops/event-type-checks.ts) and every `webhook_url` allowed by the target guard (400, or 503
 * when its DNS cannot be checked). The first failure names its item in `issues`.
 */
async function assertBatchAllowed(env: Env, requests: EnqueueRequest[]): Promise<void> {
  const limit = readConfig(env).MAX_PAYLOAD_BYTES;
  const tooLarge: ErrorIssue[] = requests.flatMap((r, index) => {
    const problem = payloadSizeProblem(r.payload, limit);
    return problem ? [{ path: `messages.${index}.payload`, message: problem }] : [];
  });
  if (tooLarge.length > 0) throw new ApiError(413, "payload_too_large", `${tooLarge.length} payload(s) exceed ${limit} bytes`, tooLarge);
  await Promise.all([
    assertPayloadsMatch(env, requests, (index) => `messages.${index}.payload`),
    ...requests.map((r, index) => (r.webhookUrl ? assertAllowedTarget(env, r.webhookUrl, `messages.${index}.webhook_url`) : undefined)),
  ]);
}

/**
 * Enqueues up to MAX_BATCH_MESSAGES messages of one tenant (the API's `POST …/messages/batch`),
 * all or nothing: checks every item first, then stores every message, its deliveries and its
 * idempotency key in ONE D1 batch on the tenant's shard (a fixed handful of statements, whatever
 * the batch's size: see src/db/message-batch.ts), then queues every delivery in as few sendBatch
 * calls as Queues allows. An item whose idempotency key is live replays its first response (422
 * when the item differs from the request that set the key) and the rest are stored, at the cost
 * of one more D1 read and write. Returns one result per item, in order.
 *
 * @throws ApiError 404 `endpoint_not_found` naming every item with an unknown endpoint id, 404
 *   `not_found` for an unknown tenant, 413/400/503 from the item checks, 422 `idempotency_key_reused`,
 *   422 `too_many_targets` when a message would reach more than MAX_TARGETS_PER_MESSAGE endpoints; 503 `temporarily_unavailable`
 *   when KEY_ATTEMPTS attempts at free row keys all clashed with concurrent enqueues
 */
export async function enqueueBatch(env: Env, tenantId: string, requests: EnqueueRequest[], now = Date.now()): Promise<BatchEnqueueResult[]> {
  await assertBatchAllowed(env, requests);
  return onTenantShard(env, tenantId, (shard) => storeBatchAndQueue(env, shard, tenantId, requests, now));
}

/** `count` message ids of a tenant at `at` (epoch ms), each with its own sequence, so none shares a row key with another. */
function batchIds(tenantId: string, at: number, count: number): string[] {
  const sequences = Array.from({ length: SEQUENCES_PER_MS }, (_, i) => i);
  for (let i = sequences.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [sequences[i], sequences[j]] = [sequences[j]!, sequences[i]!];
  }
  return sequences.slice(0, count).map((seq) => newMessageId(tenantId, at, seq));
}

/**
 * Compresses the payloads of messages `ids` (same order) and writes the large ones to R2. When any
 * write fails, the objects the others wrote are deleted again before the failure is thrown, so a
 * refused batch leaves nothing in R2.
 * @throws PayloadStorageUnavailable when R2 refuses a write
 */
async function storePayloads(env: Env, tenantId: string, ids: string[], texts: string[]): Promise<StoredPayload[]> {
  const settled = await Promise.allSettled(texts.map((text, n) => storePayload(env, tenantId, ids[n]!, text)));
  const failed = settled.find((s) => s.status === "rejected");
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<StoredPayload>).value);
  await discardPayloads(env, tenantId, ids.filter((_, n) => settled[n]!.status === "fulfilled" && (settled[n] as PromiseFulfilledResult<StoredPayload>).value.inR2));
  throw failed.reason;
}

/** The first response of an idempotency key, rebuilt from its message: every delivery was pending then. */
function replayedResponse(m: KeyedMessage): BatchEnqueueResult {
  const targets = JSON.parse(m.targets) as string[];
  return {
    id: m.id,
    event: m.event,
    source: m.source,
    created_at: iso(m.created_at),
    deliveries: targets.map((t, ordinal) => ({ id: deliveryIdOf(m.id, ordinal), endpoint_id: t || null, status: "pending" as const })).sort(byId),
    replayed: true,
  };
}

/** The 404 naming every item of the batch whose explicit endpoint ids include one the tenant does not have. */
async function missingTargets(db: D1Database, tenantId: string, requests: EnqueueRequest[]): Promise<ApiError> {
  const named = [...new Set(requests.flatMap((r) => r.endpointIds ?? []))];
  const [present, found] = await Promise.all([hasTenantMirror(db, tenantId), existingEndpointIds(db, tenantId, named)]);
  if (!present) throw new TenantMissing();
  const issues = requests.flatMap((r, index) =>
    (r.endpointIds ?? []).flatMap((id, n) => (found.has(id) ? [] : [{ path: `messages.${index}.endpoint_ids.${n}`, message: `No endpoint ${id} in this tenant` }])),
  );
  return new ApiError(404, "endpoint_not_found", `${new Set(issues.map((i) => i.path.split(".")[1])).size} message(s) name an endpoint this tenant does not have`, issues);
}

/**
 * The batch's work on the tenant's shard, once it passed its checks: store (replaying live
 * idempotency keys), then queue. Throws TenantMissing when the tenant is not there.
 */
async function storeBatchAndQueue(env: Env, { db, index: shard }: TenantShard, tenantId: string, requests: EnqueueRequest[], now: number) {
  const hashes = await Promise.all(requests.map((r) => (r.idempotency ? sha256Hex(r.idempotency.fingerprint) : "")));
  const results = new Array<BatchEnqueueResult | undefined>(requests.length);
  let created = now;
  let deliveries: NewDelivery[] = [];
  for (let attempt = 1; ; attempt++) {
    const pending = requests.flatMap((r, index) => (results[index] ? [] : [{ r, index }]));
    if (pending.length === 0) break;
    // A retry moves to a later millisecond: its row keys cannot clash with the ones just tried.
    if (attempt > 1) created = nextKeyMillisecond(created);
    const ids = batchIds(tenantId, created, pending.length);
    const payloads = await storePayloads(env, tenantId, ids, pending.map(({ r }) => r.payload));
    try {
      deliveries = await storeMessages(db, {
        tenantId,
        now: created,
        expiresBefore: created - IDEMPOTENCY_WINDOW_MS,
        messages: pending.map(({ r, index }, n) => ({
          id: ids[n]!,
          event: r.event,
          source: r.source,
          payload: payloads[n]!.bytes,
          payloadInR2: payloads[n]!.inR2,
          endpointIds: r.endpointIds,
          webhookUrl: r.webhookUrl,
          idempotency: r.idempotency ? { key: r.idempotency.key, requestHash: hashes[index]! } : undefined,
        })),
      });
      const byMessage = new Map<string, NewDelivery[]>();
      for (const d of deliveries) {
        const list = byMessage.get(messageIdOf(d.id));
        if (list) list.push(d);
        else byMessage.set(messageIdOf(d.id), [d]);
      }
      pending.forEach(({ r, index }, n) => (results[index] = newResponse(ids[n]!, r, created, byMessage.get(ids[n]!) ?? [])));
      break;
    } catch (error) {
      // This attempt's R2 objects go when its batch provably stored nothing; the next attempt writes its own.
      if (storedNothing(error)) await discardPayloads(env, tenantId, ids.filter((_, n) => payloads[n]!.inR2));
      if (error instanceof TargetMissing) throw await missingTargets(db, tenantId, requests);
      if (error instanceof TooManyTargets) {
        throw new ApiError(422, "too_many_targets",
          `A message of this batch matches more than ${MAX_TARGETS_PER_MESSAGE.toLocaleString("en-US")} endpoints, the most one message reaches; narrow the endpoints' events or sources, or name endpoint_ids`);
      }
      if (!(error instanceof IdempotencyKeyTaken) && !(error instanceof MessageKeyTaken)) throw error;
      if (attempt === KEY_ATTEMPTS) {
        if (error instanceof MessageKeyTaken) throw keysBusy();
        throw new ApiError(409, "idempotency_conflict", "Requests with these idempotency keys are in progress; retry");
      }
      if (error instanceof IdempotencyKeyTaken) await collectReplays(db, tenantId, requests, hashes, results, created);
    }
  }
  if (deliveries.length > 0) {
    try {
      await enqueueDeliveries(env.DELIVERIES, shard, deliveries);
    } catch (error) {
      console.error(`batch of ${requests.length} messages: queue send failed, the sweeper will enqueue their deliveries: ${(error as Error).message}`);
    }
  }
  return results as BatchEnqueueResult[];
}

/**
 * Fills in the results of the items whose idempotency key is live, from the messages those keys
 * point at (one D1 read).
 * @throws ApiError 422 `idempotency_key_reused` naming each item that differs from the request that set its key
 */
async function collectReplays(
  db: D1Database,
  tenantId: string,
  requests: EnqueueRequest[],
  hashes: string[],
  results: Array<BatchEnqueueResult | undefined>,
  now: number,
): Promise<void> {
  const keyed = new Map<string, number>();
  requests.forEach((r, index) => {
    if (r.idempotency && !results[index]) keyed.set(r.idempotency.key, index);
  });
  const found = await findKeyedMessages(db, tenantId, [...keyed.keys()], now - IDEMPOTENCY_WINDOW_MS);
  const reused = found.filter((m) => m.request_hash !== hashes[keyed.get(m.key)!]);
  if (reused.length > 0) {
    throw new ApiError(
      422,
      "idempotency_key_reused",
      `These idempotency keys were used with a different request in the last ${IDEMPOTENCY_WINDOW_TEXT}`,
      reused.map((m) => ({ path: `messages.${keyed.get(m.key)}.idempotency_key`, message: "used with a different request" })),
    );
  }
  for (const m of found) results[keyed.get(m.key)!] = replayedResponse(m);
}

/** The 202 of a message just stored, with its deliveries. */
function newResponse(id: string, r: EnqueueRequest, created: number, deliveries: NewDelivery[]): BatchEnqueueResult {
  return {
    id,
    event: r.event,
    source: r.source,
    created_at: new Date(created).toISOString(),
    deliveries: deliveries
      .map((d) => ({ id: d.id, endpoint_id: d.endpoint_id || null, status: "pending" as const }))
      .sort(byId),
  };
}
