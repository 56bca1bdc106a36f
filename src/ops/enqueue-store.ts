import { existingEndpointIds } from "../db/endpoints";
import { storeBatchKey, type BatchKeyToStore } from "../db/idempotency-keys";
import { storeMessages } from "../db/message-batch";
import { FiltersChanged, IdempotencyKeyTaken, MessageKeyTaken, TargetMissing, TenantMissing, TooManyTargets, type NewDelivery } from "../db/messages";
import { hasTenantMirror } from "../db/shard-tenants";
import type { ApiError } from "../errors";
import { messageIdOf, newMessageId, SEQUENCES_PER_MS } from "../lib/ids";
import { IDEMPOTENCY_WINDOW_MS } from "../limits";
import { deletePayloads, storePayload, type StoredPayload } from "../payloads";
import { knownFilters, passedFilters, readFilters, type Filters } from "./enqueue-filters";
import { keyMessageGone, keysBusy, keysInProgress, keysReused, tooManyTargets, unknownTargets } from "./enqueue-errors";
import { lookUpKeys, newResponse, type EnqueueResult, type RequestKeys } from "./enqueue-replays";
import { dueAtOf, type BatchRequest, type RequestForm } from "./enqueue-request";

/**
 * Enqueue's storage: every message of a request with its deliveries and idempotency keys in ONE
 * D1 batch on the tenant's shard (src/db/message-batch.ts), payloads over the inline limit in R2
 * first. A message row key is a tenant bucket, a millisecond and a 7-bit sequence, so concurrent
 * enqueues of a tenant can clash: the whole attempt then moves to a later millisecond. A live key
 * makes the D1 batch roll back too: the keys are looked up and the messages they stored replayed.
 */

/** Attempts at free message row keys: a clash needs the same tenant bucket, millisecond and 7-bit sequence. */
export const KEY_ATTEMPTS = 8;
/** A retry after a row-key clash moves up to this many milliseconds past the next one, at random. */
const KEY_RETRY_SPREAD_MS = 8;

/**
 * The millisecond (epoch ms) of the next attempt at free row keys after a clash at `previous`: a
 * later one, at random, so writers that clashed (a batch takes 100 of a millisecond's 128 keys, so
 * any two batches of a tenant bucket in one millisecond clash) do not clash again in lock-step.
 */
function nextKeyMillisecond(previous: number): number {
  return Math.max(previous + 1, Date.now()) + Math.floor(Math.random() * KEY_RETRY_SPREAD_MS);
}

/** `count` message ids of a tenant at `at` (epoch ms), each with its own sequence, so none shares a row key with another. */
function messageIds(tenantId: string, at: number, count: number): string[] {
  const sequences = Array.from({ length: SEQUENCES_PER_MS }, (_, i) => i);
  for (let i = sequences.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [sequences[i], sequences[j]] = [sequences[j]!, sequences[i]!];
  }
  return sequences.slice(0, count).map((seq) => newMessageId(tenantId, at, seq));
}

/**
 * Deletes the R2 objects written for messages that were then not stored, so that idempotent
 * replays, refused targets and key clashes leave no object behind that no row points at (nor
 * retention or tenant deletion would ever find). Best effort: a failure is logged, and the caller's
 * own outcome stands.
 */
async function discardPayloads(env: Env, tenantId: string, messageIds: string[]): Promise<void> {
  if (messageIds.length === 0) return;
  try {
    await deletePayloads(env, messageIds.map((id) => ({ tenant_id: tenantId, id })));
  } catch (error) {
    console.error(`messages ${messageIds.join(", ")} were not stored; their R2 payloads could not be deleted: ${(error as Error).message}`);
  }
}

/**
 * Compresses the payloads of messages `ids` (same order) and writes the large ones to R2. When any
 * write fails, the objects the others wrote are deleted again before the failure is thrown, so a
 * refused request leaves nothing in R2.
 * @throws PayloadStorageUnavailable when R2 refuses a write
 */
async function storePayloads(env: Env, tenantId: string, ids: string[], texts: string[]): Promise<StoredPayload[]> {
  const settled = await Promise.allSettled(texts.map((text, n) => storePayload(env, tenantId, ids[n]!, text)));
  const failed = settled.find((s) => s.status === "rejected");
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<StoredPayload>).value);
  await discardPayloads(env, tenantId, ids.filter((_, n) => settled[n]!.status === "fulfilled" && (settled[n] as PromiseFulfilledResult<StoredPayload>).value.inR2));
  throw failed.reason;
}

/** Errors of storeMessages that prove its batch stored nothing (it rolled back, or selected no tenant). */
const NOTHING_STORED = [FiltersChanged, MessageKeyTaken, IdempotencyKeyTaken, TargetMissing, TenantMissing, TooManyTargets];

/**
 * One attempt at storing the messages not answered yet (`results`) at `created` (epoch ms), filling
 * in their results; with nothing left to store, only the batch's Idempotency-Key is set. When the
 * D1 batch provably stored nothing, this attempt's R2 objects go again; after any other failure
 * (D1 may have committed before the connection dropped) they stay, since a row without its payload
 * is worse than an orphan.
 * @returns the deliveries written
 * @throws the errors of storeMessages and storeBatchKey
 */
async function storeAttempt(
  env: Env,
  db: D1Database,
  batch: BatchRequest,
  keys: RequestKeys,
  results: Array<EnqueueResult | undefined>,
  created: number,
  filters: Filters,
) {
  const { tenantId, requests } = batch;
  const pending = requests.flatMap((r, index) => (results[index] ? [] : [{ r, index }]));
  const ids = messageIds(tenantId, created, pending.length);
  const idOf = new Map(pending.map(({ index }, n) => [index, ids[n]!]));
  const expiresBefore = created - IDEMPOTENCY_WINDOW_MS;
  const batchKey: BatchKeyToStore | undefined = keys.batch && {
    key: keys.batch.key,
    requestHash: keys.batch.hash,
    messages: requests.map((_, index) => ({ id: idOf.get(index) ?? results[index]!.id, replayed: !idOf.has(index) })),
  };
  if (pending.length === 0) {
    if (batchKey) await storeBatchKey(db, tenantId, batchKey, created, expiresBefore);
    return [];
  }
  const payloads = await storePayloads(env, tenantId, ids, pending.map(({ r }) => r.payload));
  let deliveries: NewDelivery[];
  try {
    deliveries = await storeMessages(db, {
      tenantId,
      now: created,
      expiresBefore,
      batchKey,
      filtersVersion: filters.version,
      messages: pending.map(({ r, index }, n) => {
        const key = keys.items[index];
        const { bytes, inR2 } = payloads[n]!;
        return { id: ids[n]!, event: r.event, source: r.source, payload: bytes, payloadInR2: inR2, endpointIds: r.endpointIds, webhookUrl: r.webhookUrl,
          dueAt: dueAtOf(r, created), orderingKey: r.orderingKey, passedFilters: passedFilters(filters, r), idempotency: key && { key: key.key, requestHash: key.hash } };
      }),
    });
  } catch (error) {
    if (NOTHING_STORED.some((kind) => error instanceof kind)) await discardPayloads(env, tenantId, ids.filter((_, n) => payloads[n]!.inR2));
    throw error;
  }
  const byMessage = new Map<string, NewDelivery[]>();
  for (const d of deliveries) {
    const list = byMessage.get(messageIdOf(d.id));
    if (list) list.push(d);
    else byMessage.set(messageIdOf(d.id), [d]);
  }
  for (const { r, index } of pending) results[index] = newResponse(idOf.get(index)!, r, created, byMessage.get(idOf.get(index)!) ?? []);
  return deliveries;
}

/** What storing a request came to: one result per message in order, and the deliveries to queue. */
export interface Stored {
  results: EnqueueResult[];
  deliveries: NewDelivery[];
  /** Whether the batch's Idempotency-Key header replayed its first response (nothing was stored). */
  replayed: boolean;
}

/**
 * Stores the messages of a request that are not answered yet (`known`), retrying on a later
 * millisecond after a row-key clash (KEY_ATTEMPTS attempts, then a 503), and answering a live key
 * of this same request with its first response. Payload filters are evaluated from this isolate's
 * copy of the tenant's filters; when the D1 batch finds that copy stale, the filters are read again
 * (one D1 read) and the attempt repeated (src/ops/enqueue-filters.ts).
 * @throws TenantMissing when the tenant is not on this shard; ApiError 404 `endpoint_not_found`,
 *   422 `too_many_targets`, 422 `idempotency_key_reused`, 409 `idempotency_conflict`, 503
 *   `temporarily_unavailable` (keys busy), and the storage errors of storeMessages
 */
export async function storeRequest(env: Env, db: D1Database, batch: BatchRequest, keys: RequestKeys, form: RequestForm, known: Map<number, EnqueueResult>, now: number): Promise<Stored> {
  const results = batch.requests.map((_, index) => known.get(index));
  let created = now;
  let filters = knownFilters(batch.tenantId);
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) created = nextKeyMillisecond(created);
    try {
      const deliveries = await storeAttempt(env, db, batch, keys, results, created, filters);
      return { results: results as EnqueueResult[], deliveries, replayed: false };
    } catch (error) {
      if (error instanceof FiltersChanged && attempt < KEY_ATTEMPTS) {
        filters = await readFilters(db, batch.tenantId);
        continue;
      }
      if (error instanceof FiltersChanged) throw keysBusy();
      if (error instanceof TargetMissing) throw await missingTargets(db, batch, form);
      if (error instanceof TooManyTargets) throw tooManyTargets(form);
      if (!(error instanceof IdempotencyKeyTaken) && !(error instanceof MessageKeyTaken)) throw error;
      if (attempt === KEY_ATTEMPTS) throw error instanceof MessageKeyTaken ? keysBusy() : keysInProgress(form);
      if (!(error instanceof IdempotencyKeyTaken)) continue;
      const answered = new Set(results.flatMap((r, index) => (r ? [index] : [])));
      const lookup = await lookUpKeys(db, batch, keys, answered, created);
      if (lookup.whole) return { results: lookup.whole, deliveries: [], replayed: true };
      if (lookup.reused.length > 0) throw keysReused(form, lookup.reused.includes(-1) ? [] : lookup.reused);
      if (lookup.gone) throw keyMessageGone();
      for (const [index, result] of lookup.replays) results[index] = result;
    }
  }
}

/**
 * The 404 for explicit targets that are not endpoints of the tenant.
 * @throws TenantMissing when the tenant itself is not on this shard.
 */
async function missingTargets(db: D1Database, { tenantId, requests }: BatchRequest, form: RequestForm): Promise<ApiError> {
  const named = [...new Set(requests.flatMap((r) => r.endpointIds ?? []))];
  const [present, found] = await Promise.all([hasTenantMirror(db, tenantId), existingEndpointIds(db, tenantId, named)]);
  if (!present) throw new TenantMissing();
  return unknownTargets(form, requests, found);
}
