import { readConfig } from "../config";
import { ApiError } from "../errors";
import { MAX_SCHEDULE_SECONDS } from "../limits";
import { payloadsTooLarge, scheduledTooFar } from "./enqueue-errors";
import { lookUpKeys, type EnqueueResult, type RequestKeys } from "./enqueue-replays";
import type { BatchRequest, RequestForm } from "./enqueue-request";
import { assertPayloadsMatch } from "./event-type-checks";
import { assertAllowedTarget } from "./guards";
import { onTenantShard } from "./tenant-db";

/** What is wrong with a payload's size, or null when it fits MAX_PAYLOAD_BYTES (`limitBytes`, bytes of UTF-8). */
export function payloadSizeProblem(payload: string, limitBytes: number): string | null {
  // Code units bound the UTF-8 size from below (1–3 bytes each): most payloads need no encoding to tell.
  if (payload.length * 3 <= limitBytes) return null;
  const size = new TextEncoder().encode(payload).byteLength;
  return size > limitBytes ? `The payload is ${size} bytes; this deployment accepts at most ${limitBytes}` : null;
}

/** Answers known before anything is stored: the whole batch's first response, or some messages'. */
export interface KnownAnswers {
  whole?: EnqueueResult[];
  replays: Map<number, EnqueueResult>;
}

/**
 * Enqueue's checks, all before anything is stored: every payload within MAX_PAYLOAD_BYTES (413),
 * every `deliver_at` at most MAX_SCHEDULE_SECONDS after `now` (400 `validation_failed`),
 * every `webhook_url` allowed by the target guard (400, or 503 when its DNS cannot be checked),
 * and every payload matching its event type's enforced schema (422 `payload_schema_mismatch`,
 * src/ops/event-type-checks.ts: at most one control-database read, none while cached). The target
 * and schema checks run together and settle both, so a refused webhook_url is refused whichever
 * finishes first. A retry of a request stored before its type's schema was enforced is still a
 * retry: a mismatch looks the request's keys up (one D1 read) and the messages that a live key of
 * this same request stored get their first responses instead of the check.
 *
 * @throws ApiError as above; each error's paths name the message in the route's form
 */
export async function checkRequest(env: Env, batch: BatchRequest, keys: RequestKeys, form: RequestForm, now: number): Promise<KnownAnswers> {
  const { requests } = batch;
  const limit = readConfig(env).MAX_PAYLOAD_BYTES;
  const tooLarge = requests.flatMap((r, index) => {
    const problem = payloadSizeProblem(r.payload, limit);
    return problem ? [{ index, problem }] : [];
  });
  if (tooLarge.length > 0) throw payloadsTooLarge(form, tooLarge, limit);
  const tooFar = requests.flatMap((r, index) => (r.deliverAt !== undefined && r.deliverAt > now + MAX_SCHEDULE_SECONDS * 1000 ? [index] : []));
  if (tooFar.length > 0) throw scheduledTooFar(form, tooFar);
  const [schema, ...targets] = await Promise.allSettled([
    assertPayloadsMatch(env, requests, (index) => form.pathOf(index, "payload")),
    ...requests.map((r, index) => (r.webhookUrl ? assertAllowedTarget(env, r.webhookUrl, form.pathOf(index, "webhook_url")) : undefined)),
  ]);
  const refused = targets.find((t) => t.status === "rejected");
  if (refused) throw refused.reason;
  if (schema!.status === "fulfilled") return { replays: new Map() };
  const error: unknown = schema!.reason;
  const keyed = keys.batch || keys.items.some(Boolean);
  if (!(error instanceof ApiError && error.code === "payload_schema_mismatch" && keyed)) throw error;
  const lookup = await onTenantShard(env, batch.tenantId, ({ db }) => lookUpKeys(db, batch, keys, new Set(), now));
  if (lookup.whole) return { whole: lookup.whole, replays: new Map() };
  if (lookup.replays.size === 0) throw error;
  const rest = requests.flatMap((r, index) => (lookup.replays.has(index) ? [] : [{ r, index }]));
  await assertPayloadsMatch(env, rest.map(({ r }) => r), (n) => form.pathOf(rest[n]!.index, "payload"));
  return { replays: lookup.replays };
}
