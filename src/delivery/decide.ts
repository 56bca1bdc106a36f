import type { AttemptRecord } from "../db/batch-records";
import type { EndpointHealth } from "../db/endpoint-health";
import { rollupAttempts, type StatsRollup } from "../lib/endpoint-stats";
import { maxAttempts, retryDelaySeconds } from "./backoff";
import { signingSecretOf, type DeliveryJob } from "./jobs";
import { nextLane, paceOf, type Lane } from "./lanes";
import type { SendResult } from "./send";

/**
 * The decide stage (pure): what one send's outcome means for its delivery (the attempt record, the
 * state it leads to and its retry delay), for its endpoint's health and lane, and for its queue
 * message (the verdict). The retry delay's rule lives in src/delivery/backoff.ts, the lane rule in
 * nextLane (src/delivery/lanes.ts); this module only applies them.
 */

/** A delivery the batch had no time left to send comes back this soon, with no attempt counted. */
export const DEFERRED_DELAY_SECONDS = 1;
/**
 * A message whose shard could not be read, or could not record its result, comes back after this
 * long (wrangler.toml's retry_delay for a failed batch): the shard gets a moment to recover.
 */
const SHARD_FAILED_DELAY_SECONDS = 30;

/**
 * A delivery whose secret or payload the platform could not give yet comes back this soon, with no
 * attempt counted: long enough not to spin on a failing binding, short against KV's lag (≤ 60 s).
 */
export const PLATFORM_FAULT_DELAY_SECONDS = 5;
/**
 * How long after its secret was written (its owner's creation or the rotation its row names) a
 * secret still not visible is waited for. KV shows a write everywhere within about 60 s (SCALING.md);
 * ten times that leaves room for a KV incident, and past it the secret is taken to be gone for good
 * (a rotation that died between its D1 claim and its KV write, a deleted key): waiting on would hold
 * the delivery forever, so from then on each try counts as a failed attempt on the endpoint's schedule.
 * A read that fails (KV or R2 throwing) is always waited for: that is an outage, never the receiver's doing.
 */
export const MISSING_SECRET_WAIT_MS = 10 * 60_000;

/** A secret or payload the platform could not give (src/delivery/attempt.ts): `missing` when the read answered "nothing", else it failed. */
export interface Unreadable {
  unreadable: "secret" | "payload";
  missing: boolean;
  error: string;
}

/**
 * What a platform fault means for `job` at `now` (epoch ms): wait PLATFORM_FAULT_DELAY_SECONDS with
 * no attempt counted, or, for a secret missing MISSING_SECRET_WAIT_MS past when it was written, a
 * failed attempt that sent nothing.
 */
export function platformFaultOf(job: DeliveryJob, fault: Unreadable, now: number): { deferSeconds: number } | SendResult {
  const { writtenAt } = signingSecretOf(job.work);
  if (!fault.missing || now - writtenAt < MISSING_SECRET_WAIT_MS) return { deferSeconds: PLATFORM_FAULT_DELAY_SECONDS };
  return { outcome: "retryable", statusCode: null, errorKind: "secret_unavailable", error: "Signing secret unavailable; nothing was sent", durationMs: 0, responseBody: null, retryAfterSeconds: null };
}

/** An attempt record with the retry delay (seconds) it asks for, or null when the delivery is done. */
export type Decided = AttemptRecord & { delaySeconds: number | null };

/**
 * What becomes of one delivery of the batch: done, bring it back after a delay (in `lane`, by default
 * the batch's own), or hand it to the slow lane.
 */
export type Verdict = { kind: "ack" } | { kind: "retry"; delaySeconds: number; shardFailed?: boolean; lane?: Lane } | { kind: "forward" };

/** The verdict of a delivery whose shard could not be read, or could not record its result. */
export const SHARD_FAILED: Verdict = { kind: "retry", delaySeconds: SHARD_FAILED_DELAY_SECONDS, shardFailed: true };

/**
 * A planned send as dispatch left it: its record, or null when it was not sent: the batch's send
 * budget ran out before it started, it was held back for `deferSeconds` (the endpoint's limits, or
 * its timing out earlier in the batch), or it is `forward`ed to the slow lane (its receiver was slow
 * earlier in the batch).
 */
export interface Sent {
  slot: number;
  record: Decided | null;
  deferSeconds?: number;
  forward?: boolean;
}

/** The attempt record and delivery state that one send result leads to (`now`: epoch ms). */
export function outcomeOf(job: DeliveryJob, result: SendResult, now: number, random: () => number): Decided {
  const { work, retry } = job;
  const attemptInCycle = work.attempts + 1 - work.attempt_base;
  let status: AttemptRecord["status"];
  let delaySeconds: number | null = null;
  if (result.outcome === "ok") status = "succeeded";
  else if (result.outcome === "permanent" || attemptInCycle >= maxAttempts(retry)) status = "failed";
  else {
    status = "retrying";
    delaySeconds = Math.max(retryDelaySeconds(retry, attemptInCycle, random), result.retryAfterSeconds ?? 0);
  }
  // Recording compares last_attempt_at with what this batch read, so a live record must change it.
  const at = Math.max(now, (work.last_attempt_at ?? 0) + 1);
  return {
    deliveryId: work.id,
    tenantId: work.tenant_id,
    endpointId: work.endpoint_id,
    queueToken: work.queue_token,
    seenLastAttemptAt: work.last_attempt_at,
    outcome: result.outcome,
    statusCode: result.statusCode,
    errorKind: result.errorKind,
    error: result.error,
    durationMs: result.durationMs,
    responseBody: result.responseBody,
    at,
    status,
    nextAttemptAt: delaySeconds === null ? null : at + delaySeconds * 1000,
    inOrder: work.fifo_seq !== null,
    delaySeconds,
  };
}

/** How each endpoint's health and lane moved with `records`; `urls` holds the URL each delivery was sent to, by delivery id. */
export function healthOf(records: AttemptRecord[], urls: Map<string, string | null>): EndpointHealth[] {
  const byEndpoint = new Map<string, EndpointHealth>();
  for (const r of records) {
    if (!r.endpointId) continue;
    const h = byEndpoint.get(r.endpointId) ?? {
      endpointId: r.endpointId,
      succeeded: false,
      failedAt: null,
      gone: false,
      pace: null,
      paceAt: r.at,
      url: urls.get(r.deliveryId) ?? null,
    };
    if (r.outcome === "ok") h.succeeded = true;
    else h.failedAt = r.at;
    if (r.errorKind === "gone") h.gone = true;
    // The slowest answer of the batch decides; a quick one only when there is no other.
    const lane = nextLane("main", paceOf(r)).endpoint;
    if (lane === "slow" || (lane === "main" && h.pace === null)) [h.pace, h.paceAt] = [lane === "slow" ? "slow" : "quick", r.at];
    byEndpoint.set(r.endpointId, h);
  }
  return [...byEndpoint.values()];
}

/**
 * The endpoint stats a shard's attempt records add (src/lib/endpoint-stats.ts): one rollup per
 * endpoint and 5-minute bucket. Every attempt counts, a stale record's too: its receiver saw it.
 */
export function statsOf(records: AttemptRecord[]): StatsRollup[] {
  return rollupAttempts(records.map((r) => ({ tenantId: r.tenantId, endpointId: r.endpointId, succeeded: r.outcome === "ok", durationMs: r.durationMs, at: r.at })));
}

/**
 * What becomes of a sent (or held back) delivery once its shard has recorded the result (`live`:
 * the deliveries whose record was live). `recorded` is false when the shard failed to record it: it
 * comes back, so the delivery is not lost (its receiver may get it again, as when a whole batch fails).
 */
export function verdictOf({ record, deferSeconds, forward }: Sent, live: Set<string>, recorded: boolean, lane: Lane): Verdict {
  if (forward) return { kind: "forward" };
  if (!recorded) return SHARD_FAILED;
  if (!record) return { kind: "retry", delaySeconds: deferSeconds ?? DEFERRED_DELAY_SECONDS };
  // A stale record's queue chain was replaced or continued by another message: this one is done.
  // A retry after a slow request goes to the slow lane: a one-off delivery has no endpoint whose lane
  // would forward it there, and would hold another main-lane batch for as long.
  if (live.has(record.deliveryId) && record.delaySeconds !== null) {
    const retryLane = nextLane(lane, paceOf(record)).retry;
    return { kind: "retry", delaySeconds: record.delaySeconds, ...(retryLane !== lane ? { lane: retryLane } : {}) };
  }
  return { kind: "ack" };
}
