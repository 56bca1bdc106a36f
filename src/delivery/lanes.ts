/**
 * Two delivery lanes, each a Cloudflare Queue with its own consumer invocations: the main lane
 * (`DELIVERIES`) for endpoints that answer quickly, and the slow lane (`SLOW_DELIVERIES`) for
 * endpoints that do not, or have not shown yet that they do. A consumer batch lasts as long as its
 * slowest request, and a queue hands its consumer the next batch only as invocations free up (one
 * at a time under `wrangler dev`), so a receiver that hangs would otherwise hold back every endpoint
 * behind it. Keeping such receivers in their own queue leaves the main lane's batches short.
 *
 * The rule, kept per endpoint in `endpoints.slow_since` (epoch ms, NULL = main lane):
 * - a new endpoint, or one given a new URL, starts in the slow lane (on probation);
 * - a request that takes SLOW_ANSWER_MS or longer, or times out, moves its endpoint to the slow lane;
 * - an answer (any status, or a refused connection) within SLOW_ANSWER_MS brings it back to the
 *   main lane, unless its URL changed meanwhile (src/db/endpoint-health.ts).
 * The main lane's consumer forwards the deliveries of slow-lane endpoints to the slow queue
 * without sending (no attempt counted), and a batch forwards a receiver's unstarted deliveries once
 * one of its requests has run SLOW_ANSWER_MS. One-off `webhook_url` deliveries have no endpoint row:
 * they start in the main lane (receiver = the URL's origin), and a retry after a slow request comes
 * back through the slow lane (nextLane).
 *
 * A main-lane batch never waits for a receiver that turned slow: once one of its requests has run
 * SLOW_ANSWER_MS the batch hands that request off (it finishes under waitUntil and re-queues its
 * delivery itself, src/delivery/dispatch.ts) and settles every other message at once, so the queue
 * hands out the next batch.
 */

/** A request that takes this long (ms) or longer moves its endpoint to the slow lane. */
export const SLOW_ANSWER_MS = 2_000;

/** Queue names of the slow lane end with this (wrangler.toml: `edgehook-deliveries-slow`). */
const SLOW_QUEUE_SUFFIX = "-slow";

export type Lane = "main" | "slow";

/** The lane a consumer batch belongs to, from its queue's name. */
export function laneOfQueue(queueName: string): Lane {
  return queueName.endsWith(SLOW_QUEUE_SUFFIX) ? "slow" : "main";
}

/** The queue binding of a lane. */
export function queueOfLane(env: Env, lane: Lane): Queue {
  return lane === "slow" ? env.SLOW_DELIVERIES : env.DELIVERIES;
}

/** Errors raised before any request left: they say nothing about how fast the receiver is. */
const NOTHING_SENT = new Set(["blocked_target", "secret_unavailable", "payload_unavailable"]);

/**
 * What a finished attempt says about its receiver's pace: "slow" when the request timed out or
 * took SLOW_ANSWER_MS or longer, "quick" when the receiver answered (any status) or refused the
 * connection sooner, null when no request was made. `durationMs` is the request's own time (ms).
 */
export function paceOf(result: { errorKind: string | null; durationMs: number }): Pace | null {
  if (result.errorKind !== null && NOTHING_SENT.has(result.errorKind)) return null;
  return result.errorKind === "timeout" || result.durationMs >= SLOW_ANSWER_MS ? "slow" : "quick";
}

export type Pace = "slow" | "quick";

/**
 * The lane change one finished attempt makes, from a batch of lane `lane`: the endpoint's lane
 * (null: unchanged, when no request was made) and the lane the delivery's retry, if any, comes
 * back in. A slow request sends both to the slow lane; a quick one brings the endpoint back to the
 * main lane (src/db/endpoint-health.ts keeps a URL changed meanwhile in the slow lane) and lets the
 * retry come back where it was.
 */
export function nextLane(lane: Lane, pace: Pace | null): { endpoint: Lane | null; retry: Lane } {
  if (pace === "slow") return { endpoint: "slow", retry: "slow" };
  return { endpoint: pace === "quick" ? "main" : null, retry: lane };
}
