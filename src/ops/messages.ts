import type { z } from "zod";
import { readConfig } from "../config";
import { existingEndpointIds } from "../db/endpoints";
import {
  findIdempotencyKey,
  getMessageWithDeliveries,
  IdempotencyKeyTaken,
  listMessages as listStoredMessages,
  MessageKeyTaken,
  storeMessage,
  TargetMissing,
  TenantMissing,
  TooManyTargets,
  type NewDelivery,
} from "../db/messages";
import { iso } from "../db/pagination";
import { hasTenantMirror } from "../db/shard-tenants";
import { enqueueDeliveries } from "../delivery/task";
import { ApiError, notFound } from "../errors";
import { sha256Hex } from "../lib/digest";
import { memberText } from "../lib/json-text";
import { MAX_TARGETS_PER_MESSAGE, newMessageId } from "../lib/ids";
import { IDEMPOTENCY_WINDOW_MS, IDEMPOTENCY_WINDOW_TEXT } from "../limits";
import { deletePayloads, readPayload, storePayload } from "../payloads";
import type { EnqueueBody, EnqueueResponse } from "../schemas/messages";
import { assertPayloadsMatch } from "./event-type-checks";
import { assertAllowedTarget } from "./guards";
import type { TenantShard } from "../shards";
import { onTenantShard, tenantDb } from "./tenant-db";

/** A validated enqueue request. */
export interface EnqueueRequest {
  tenantId: string;
  event: string;
  /** The exact bytes every receiver will get as the body. */
  payload: string;
  source: string | null;
  endpointIds?: string[];
  webhookUrl?: string;
  /**
   * The Idempotency-Key, with what identifies the request: hashed to tell a true retry from a key
   * reused for another request.
   */
  idempotency?: { key: string; fingerprint: string };
}

/**
 * The `payload` of an enqueue request exactly as the platform sent it: its JSON text from the
 * request body, from its first character to its last. Receivers get these bytes and polling shows
 * them, so no number, escape or key order changes on the way (see src/lib/json-text.ts).
 *
 * @param requestText the request body, already accepted by JSON.parse and by EnqueueBody
 * @throws Error when the body has no `payload` member, which EnqueueBody has already refused
 */
function sentPayload(requestText: string): string {
  const payload = memberText(requestText, "payload");
  if (payload === undefined) throw new Error("sentPayload: the request body has no payload member");
  return payload;
}

/**
 * The enqueue request of one message: its validated body, the payload's exact text, and its
 * idempotency key with what identifies the request (the body's other fields, then the payload's
 * text, which tells apart numbers that parse alike). The same message sent alone or in a batch
 * identifies alike, so a key replays across the two routes.
 */
export function enqueueRequestFrom(
  tenantId: string,
  body: z.output<typeof EnqueueBody>,
  payload: string,
  idempotencyKey: string | undefined,
): EnqueueRequest {
  return {
    tenantId,
    event: body.event,
    payload,
    source: body.source ?? null,
    endpointIds: body.endpoint_ids,
    webhookUrl: body.webhook_url,
    idempotency: idempotencyKey
      ? { key: idempotencyKey, fingerprint: `${JSON.stringify({ ...body, payload: undefined })}\n${payload}` }
      : undefined,
  };
}

/** The enqueue request of an API call (`POST …/messages`): see enqueueRequestFrom. */
export function enqueueRequestOf(
  tenantId: string,
  body: z.output<typeof EnqueueBody>,
  requestText: string,
  idempotencyKey: string | undefined,
): EnqueueRequest {
  return enqueueRequestFrom(tenantId, body, sentPayload(requestText), idempotencyKey);
}

/**
 * Holds a payload's JSON text to the deployment's limit.
 *
 * @param limitBytes MAX_PAYLOAD_BYTES, in bytes of UTF-8
 * @throws ApiError 413 `payload_too_large`
 */
export function assertPayloadFits(payload: string, limitBytes: number): void {
  const problem = payloadSizeProblem(payload, limitBytes);
  if (problem) throw new ApiError(413, "payload_too_large", problem);
}

/** What is wrong with a payload's size, or null when it fits MAX_PAYLOAD_BYTES (`limitBytes`). */
export function payloadSizeProblem(payload: string, limitBytes: number): string | null {
  // Code units bound the UTF-8 size from below (1–3 bytes each): most payloads need no encoding to tell.
  if (payload.length * 3 <= limitBytes) return null;
  const size = new TextEncoder().encode(payload).byteLength;
  return size > limitBytes ? `The payload is ${size} bytes; this deployment accepts at most ${limitBytes}` : null;
}

/** Orders deliveries by id, as enqueue responses list them. */
export const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Rebuilds the first response of an Idempotency-Key: every delivery was pending then. */
async function firstResponse(db: D1Database, tenantId: string, messageId: string): Promise<EnqueueResponse> {
  const message = await getMessageWithDeliveries(db, tenantId, messageId);
  if (!message) throw new ApiError(409, "idempotency_conflict", "The message this Idempotency-Key created has expired");
  return {
    id: message.row.id,
    event: message.row.event,
    source: message.row.source,
    created_at: iso(message.row.created_at),
    deliveries: message.deliveries.map((d) => ({ id: d.id, endpoint_id: d.endpoint_id, status: "pending" as const })).sort(byId),
  };
}

/** Attempts at a free message row key: a clash needs the same tenant bucket, millisecond and 7-bit sequence. */
export const KEY_ATTEMPTS = 8;
/** A retry after a row-key clash moves up to this many milliseconds past the next one, at random. */
const KEY_RETRY_SPREAD_MS = 8;

/**
 * The millisecond (epoch ms) of the next attempt at free row keys after a clash at `previous`: a
 * later one, at random, so writers that clashed (a batch takes 100 of a millisecond's 128 keys, so
 * any two batches of a tenant bucket in one millisecond clash) do not clash again in lock-step.
 */
export function nextKeyMillisecond(previous: number): number {
  return Math.max(previous + 1, Date.now()) + Math.floor(Math.random() * KEY_RETRY_SPREAD_MS);
}

/** The 503 once KEY_ATTEMPTS attempts all clashed: nothing is stored, and the same request may be sent again. */
export function keysBusy(): ApiError {
  return new ApiError(503, "temporarily_unavailable", "Too many messages of this tenant are being stored at once; retry after the Retry-After delay", undefined, {
    "retry-after": "1",
  });
}

/** Errors of storeMessage and storeMessages that prove their batch stored nothing (it rolled back, or selected no tenant). */
const NOTHING_STORED = [MessageKeyTaken, IdempotencyKeyTaken, TargetMissing, TenantMissing, TooManyTargets];

/** Whether `error`, thrown by storeMessage or storeMessages, proves that no message row was written. */
export function storedNothing(error: unknown): boolean {
  return NOTHING_STORED.some((kind) => error instanceof kind);
}

/**
 * Deletes the R2 objects written for messages that were then not stored, so that idempotent
 * replays, refused targets and key clashes leave no object behind that no row points at (nor
 * retention or tenant deletion would ever find). Best effort: a failure is logged, and the caller's
 * own outcome stands.
 */
export async function discardPayloads(env: Env, tenantId: string, messageIds: string[]): Promise<void> {
  if (messageIds.length === 0) return;
  try {
    await deletePayloads(env, messageIds.map((id) => ({ tenant_id: tenantId, id })));
  } catch (error) {
    console.error(`messages ${messageIds.join(", ")} were not stored; their R2 payloads could not be deleted: ${(error as Error).message}`);
  }
}

/**
 * Stores the message under a fresh id (a new one if its row key is taken), its payload compressed
 * in the row or, when large, in R2 first; a clash retries on a later millisecond (nextKeyMillisecond),
 * and KEY_ATTEMPTS clashes are a 503. Returns the id, the deliveries written and the millisecond
 * stored as its created_at. When the batch
 * provably stored nothing, the R2 object goes again; after any other failure (D1 may have committed
 * before the connection dropped) it stays, since a row without its payload is worse than an orphan.
 */
async function storeUnderFreshId(env: Env, db: D1Database, req: EnqueueRequest, requestHash: string, at: number) {
  let now = at;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) now = nextKeyMillisecond(now);
    const id = newMessageId(req.tenantId, now);
    const payload = await storePayload(env, req.tenantId, id, req.payload);
    try {
      const deliveries = await storeMessage(db, {
        id,
        tenantId: req.tenantId,
        event: req.event,
        source: req.source,
        payload: payload.bytes,
        payloadInR2: payload.inR2,
        now,
        endpointIds: req.endpointIds,
        webhookUrl: req.webhookUrl,
        idempotency: req.idempotency
          ? { key: req.idempotency.key, requestHash, expiresBefore: now - IDEMPOTENCY_WINDOW_MS }
          : undefined,
      });
      return { id, deliveries, created: now };
    } catch (error) {
      if (payload.inR2 && storedNothing(error)) await discardPayloads(env, req.tenantId, [id]);
      if (!(error instanceof MessageKeyTaken)) throw error;
      if (attempt === KEY_ATTEMPTS) throw keysBusy();
    }
  }
}

/**
 * The 404 for explicit targets that are not endpoints of the tenant.
 * @throws TenantMissing when the tenant itself is not on this shard.
 */
async function missingTargets(db: D1Database, tenantId: string, endpointIds: string[]): Promise<ApiError> {
  const [present, found] = await Promise.all([hasTenantMirror(db, tenantId), existingEndpointIds(db, tenantId, endpointIds)]);
  if (!present) throw new TenantMissing();
  const missing = endpointIds.filter((id) => !found.has(id));
  return new ApiError(404, "endpoint_not_found", `No endpoint with id ${missing.join(", ")} in this tenant`,
    missing.map((id) => ({ path: `endpoint_ids.${endpointIds.indexOf(id)}`, message: "not found" })));
}

/**
 * Enqueues a message (the API's `POST …/messages`, and every test event): a payload over
 * MAX_PAYLOAD_BYTES is a 413, a payload that does not match its event type's enforced schema a 422
 * `payload_schema_mismatch` (src/ops/event-type-checks.ts: at most one control-database read, none
 * while cached), a `webhook_url` the target guard refuses a 400 (503 when its DNS cannot be
 * checked), and more than MAX_TARGETS_PER_MESSAGE targets a 422 `too_many_targets`.
 * Then it stores the message with one pending delivery per target in one D1
 * batch on the tenant's shard and queues the deliveries in one sendBatch: one D1 round trip and one
 * queue call, the whole cost of an enqueue (plus one control-database read of the tenant's shard the
 * first time this isolate sees the tenant).
 * The batch itself checks that the tenant is on its shard and that explicit endpoint ids are the
 * tenant's (404 with nothing stored otherwise; see onTenantShard for a cached shard that is out of
 * date). The queue messages carry the shard. A failed queue send is logged, not fatal: the rows
 * are durable and the sweeper enqueues them. A live Idempotency-Key returns the first response (or
 * 422 when the request differs).
 */
export async function enqueueMessage(
  env: Env,
  req: EnqueueRequest,
  now = Date.now(),
): Promise<{ response: EnqueueResponse; replayed: boolean }> {
  assertPayloadFits(req.payload, readConfig(env).MAX_PAYLOAD_BYTES);
  // Settled, not raced: a refused webhook_url is refused whichever check finishes first.
  const [schema, target] = await Promise.allSettled([
    assertPayloadsMatch(env, [req], () => "payload"),
    req.webhookUrl ? assertAllowedTarget(env, req.webhookUrl, "webhook_url") : undefined,
  ]);
  if (target.status === "rejected") throw target.reason;
  if (schema.status === "rejected") {
    const error = schema.reason;
    // A retry of a request stored before its event type's schema was enforced is still a retry.
    const replay = error instanceof ApiError && error.code === "payload_schema_mismatch" && (await storedResponseOf(env, req, now));
    if (replay) return { response: replay, replayed: true };
    throw error;
  }
  return onTenantShard(env, req.tenantId, (shard) => storeAndQueue(env, shard, req, now));
}

/**
 * The first response of the request's live Idempotency-Key (set after `now` (epoch ms) minus the
 * window) when this same request was stored under it and its message is still kept, else null.
 * @throws ApiError 404 `not_found` "Tenant" when the tenant does not exist
 */
async function storedResponseOf(env: Env, req: EnqueueRequest, now: number): Promise<EnqueueResponse | null> {
  if (!req.idempotency) return null;
  const requestHash = await sha256Hex(req.idempotency.fingerprint);
  return onTenantShard(env, req.tenantId, async ({ db }) => {
    const first = await findIdempotencyKey(db, req.tenantId, req.idempotency!.key, now - IDEMPOTENCY_WINDOW_MS);
    if (!first || first.request_hash !== requestHash) return null;
    return (await getMessageWithDeliveries(db, req.tenantId, first.message_id)) ? firstResponse(db, req.tenantId, first.message_id) : null;
  });
}

/** Enqueue's work on the tenant's shard, once the request passed its checks. Throws TenantMissing when the tenant is not there. */
async function storeAndQueue(env: Env, { db, index }: TenantShard, req: EnqueueRequest, now: number) {
  const requestHash = req.idempotency ? await sha256Hex(req.idempotency.fingerprint) : "";
  let stored: { id: string; deliveries: NewDelivery[]; created: number };
  try {
    stored = await storeUnderFreshId(env, db, req, requestHash, now);
  } catch (error) {
    if (error instanceof TargetMissing) throw await missingTargets(db, req.tenantId, req.endpointIds!);
    if (error instanceof TooManyTargets) {
      throw new ApiError(422, "too_many_targets",
        `This message matches more than ${MAX_TARGETS_PER_MESSAGE.toLocaleString("en-US")} endpoints, the most one message reaches; narrow the endpoints' events or sources, or name endpoint_ids`);
    }
    if (!(error instanceof IdempotencyKeyTaken)) throw error;
    const first = await findIdempotencyKey(db, req.tenantId, req.idempotency!.key);
    if (!first) throw new ApiError(409, "idempotency_conflict", "A request with this Idempotency-Key is in progress; retry");
    if (first.request_hash !== requestHash) {
      throw new ApiError(422, "idempotency_key_reused", `This Idempotency-Key was used with a different request in the last ${IDEMPOTENCY_WINDOW_TEXT}`);
    }
    return { response: await firstResponse(db, req.tenantId, first.message_id), replayed: true };
  }
  const { id, deliveries, created } = stored;
  try {
    await enqueueDeliveries(env.DELIVERIES, index, deliveries);
  } catch (error) {
    console.error(`message ${id}: queue send failed, the sweeper will enqueue its deliveries: ${(error as Error).message}`);
  }
  return {
    response: {
      id,
      event: req.event,
      source: req.source,
      created_at: new Date(created).toISOString(),
      deliveries: deliveries.map((d) => ({ id: d.id, endpoint_id: d.endpoint_id || null, status: "pending" as const })).sort(byId),
    },
    replayed: false,
  };
}

/** A tenant's message with its payload and every delivery's state; 404 when the tenant has none with this id. */
export async function getMessage(env: Env, tenantId: string, messageId: string) {
  const { db } = await tenantDb(env, tenantId);
  const message = await getMessageWithDeliveries(db, tenantId, messageId);
  if (!message) throw notFound("Message");
  const { row, deliveries } = message;
  const payload = await readPayload(env, { ...row, message_id: row.id });
  return { id: row.id, event: row.event, source: row.source, payload, created_at: iso(row.created_at), deliveries };
}

/** A page of a tenant's messages, newest first, without payloads. */
export async function listMessages(env: Env, tenantId: string, query: { event?: string; limit: number; cursor?: string }) {
  const { db } = await tenantDb(env, tenantId);
  return listStoredMessages(db, tenantId, query);
}
