import type { DeliveryWork } from "../db/delivery-work";
import { within } from "../lib/within";
import { DEFAULT_RATE_BURST } from "../limits";
import type { EndpointLimits, SendPermit } from "./endpoint-limiter";

/**
 * How the consumer keeps an endpoint's `rate_limit` and `max_in_flight` (src/delivery/endpoint-limiter.ts
 * holds the count across consumers): before a send it asks the endpoint's limiter, waits the short
 * time it is told to, or gives the delivery back to the queue for later without counting an attempt.
 */

/** Longest a send waits in its slot for its turn under a rate limit; a later turn goes back to the queue. */
export const RATE_WAIT_WINDOW_MS = 1_000;
/**
 * Longest one call to the limiter may take. Past it, an unanswered `acquire` defers the delivery
 * (never sent over a limit), and an unanswered `release` is left to lapse with its lease, so a slow
 * limiter never holds a send's result, and the batch, past its bound (src/delivery/claim.ts).
 */
export const LIMITER_BOUND_MS = 1_000;
/** How soon a delivery comes back when its limiter could not be asked. */
const LIMITER_UNAVAILABLE_DELAY_SECONDS = 5;

/** A send the gate held back: the queue brings the delivery back after `seconds`, with no attempt counted. */
export interface Deferral {
  deferSeconds: number;
}

/** The limits of the delivery's endpoint, or null when it has none (or the delivery is one-off); the consumer's decode stage calls it once per row. */
export function limitsOf(work: Pick<DeliveryWork, "endpoint_id" | "endpoint_rate_limit" | "endpoint_max_in_flight">): EndpointLimits | null {
  if (!work.endpoint_id || (!work.endpoint_rate_limit && work.endpoint_max_in_flight === null)) return null;
  const rate = work.endpoint_rate_limit ? (JSON.parse(work.endpoint_rate_limit) as { per_second: number; burst?: number }) : null;
  return { perSecond: rate?.per_second ?? null, burst: rate?.burst ?? DEFAULT_RATE_BURST, maxInFlight: work.endpoint_max_in_flight };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `call`'s answer, or null when it fails or takes longer than LIMITER_BOUND_MS (logged as `what`). */
async function bounded<T>(call: PromiseLike<T>, endpointId: string, what: string): Promise<T | null> {
  try {
    return await within(call, LIMITER_BOUND_MS);
  } catch (error) {
    console.error(`endpoint ${endpointId}: limiter ${what} failed: ${(error as Error).message}`);
    return null;
  }
}

/**
 * Runs `send` within the endpoint's limits: at once when it has none; else after the limiter's
 * wait (≤ RATE_WAIT_WINDOW_MS), releasing the in-flight lease when the send ends (waiting at most
 * LIMITER_BOUND_MS for that). Returns a Deferral instead when the limiter says no or cannot be asked
 * in LIMITER_BOUND_MS.
 *
 * @param leaseMs how long the in-flight lease lasts if this invocation dies mid-send (the send's own bound)
 */
export async function withinEndpointLimits<T>(
  env: Pick<Env, "ENDPOINT_LIMITER">,
  { endpointId, limits }: { endpointId: string; limits: EndpointLimits | null },
  leaseMs: number,
  send: () => Promise<T>,
): Promise<T | Deferral> {
  if (!limits) return send();
  const limiter = env.ENDPOINT_LIMITER.get(env.ENDPOINT_LIMITER.idFromName(endpointId));
  const permit = await bounded<SendPermit>(limiter.acquire(limits, RATE_WAIT_WINDOW_MS, leaseMs), endpointId, "acquire");
  if (!permit) return { deferSeconds: LIMITER_UNAVAILABLE_DELAY_SECONDS };
  if (!permit.granted) return { deferSeconds: Math.max(1, Math.ceil(permit.retryAfterMs / 1000)) };
  if (permit.waitMs > 0) await sleep(permit.waitMs);
  try {
    return await send();
  } finally {
    if (permit.lease) await bounded(limiter.release(permit.lease), endpointId, "release");
  }
}
