import type { Config } from "../config";
import { DOH_TIMEOUT_MS, MAX_TIMEOUT_MS } from "../limits";
import { LIMITER_BOUND_MS, RATE_WAIT_WINDOW_MS } from "./endpoint-gate";

/**
 * How long a consumer batch holds the deliveries it loaded, and so how long the sweeper leaves them
 * alone. A batch writes nothing to D1 when it starts (a claim row per delivery would cost a D1 write
 * each on the hot path). Instead a batch's lifetime is bounded by construction, and a delivery
 * counts as claimed from its last enqueue (or renewed claim) until that bound has surely passed:
 *
 *   - no send starts more than SEND_BUDGET_MS after the batch began (the rest go back to the queue
 *     without an attempt counted);
 *   - one send takes at most SEND_BOUND_MS (the endpoint limiter's answer and the wait for its turn,
 *     its secret read, the target guard's DNS check and the request are each bounded);
 *   - recording the results follows within RECORD_BOUND_MS.
 *
 * A batch that loads a delivery whose claim would lapse before the batch could end (a queue backlog,
 * or a message that came back) renews the claim with one D1 write first, or leaves the delivery alone
 * if the sweeper or a replay took it meanwhile. So the sweeper never re-arms a delivery a running
 * batch may still send, and a stale batch's results never overwrite newer state (recording is a
 * compare-and-set on the delivery's queue token, see src/db/delivery-work.ts).
 */

/** No consumer batch starts a send later than this after it began. */
export const SEND_BUDGET_MS = 60_000;
/** Longest wait for a signing secret; past it the delivery waits and comes back, uncounted (src/delivery/decide.ts). */
export const SECRET_READ_BOUND_MS = 5_000;
/**
 * Longest one send can take: the endpoint limiter's answer and the wait for its turn
 * (src/delivery/endpoint-gate.ts), the secret, the target guard's DNS-over-HTTPS check, the
 * request's own timeout, then handing the in-flight slot back to the limiter.
 */
export const SEND_BOUND_MS = LIMITER_BOUND_MS + RATE_WAIT_WINDOW_MS + SECRET_READ_BOUND_MS + DOH_TIMEOUT_MS + MAX_TIMEOUT_MS + LIMITER_BOUND_MS;
/** Time allowed for the one D1 batch that records a consumer batch's results. */
const RECORD_BOUND_MS = 20_000;
/** The longest a consumer batch holds a delivery, from loading it to recording its result (121 s). */
export const BATCH_LIFETIME_MS = SEND_BUDGET_MS + SEND_BOUND_MS + RECORD_BOUND_MS;
/**
 * How late after its claim began a queue message may reach a consumer without the claim needing a
 * renewal: ordinary queue latency, so renewals (a D1 write) only happen under a backlog.
 */
const PICKUP_MS = 60_000;

/** The columns of a delivery row that say when its claim began. */
export interface ClaimedRow {
  enqueued_at: number | null;
  next_attempt_at: number | null;
}

/**
 * How long (ms) after its claim began the sweeper leaves a delivery alone: SWEEP_STUCK_AFTER_SECONDS,
 * but never less than a batch's lifetime plus queue pickup time. A shorter threshold would re-arm
 * deliveries that a batch is still sending, and the receiver would get them twice.
 */
export function claimMs(config: Pick<Config, "SWEEP_STUCK_AFTER_SECONDS">): number {
  return Math.max(config.SWEEP_STUCK_AFTER_SECONDS * 1000, BATCH_LIFETIME_MS + PICKUP_MS);
}

/**
 * When a delivery's claim began (epoch ms): its last enqueue, re-arm, replay or renewal, or for a
 * retry the time its queue message was due, whichever is later. The sweeper's query in
 * src/db/delivery-work.ts reads the same two columns.
 */
export function claimedFrom(row: ClaimedRow): number {
  return Math.max(row.enqueued_at ?? 0, row.next_attempt_at ?? 0);
}

/** Whether a batch that began at `startedAt` (epoch ms) could outlive its claim on this delivery. */
export function claimLapsesDuring(row: ClaimedRow, startedAt: number, config: Pick<Config, "SWEEP_STUCK_AFTER_SECONDS">): boolean {
  return claimedFrom(row) + claimMs(config) < startedAt + BATCH_LIFETIME_MS;
}

/**
 * Whether a delivery given back to the queue until `comebackAt` (epoch ms), with nothing written, could
 * be re-armed by the sweeper before its message comes back and the batch that picks it up ends. Then
 * its claim must begin at `comebackAt` instead (one D1 write): otherwise a backlog deferred by a rate
 * limit is re-armed while it waits, sent to the back of the line again, and never reaches its turn.
 */
export function deferralOutlivesClaim(row: ClaimedRow, comebackAt: number, config: Pick<Config, "SWEEP_STUCK_AFTER_SECONDS">): boolean {
  return claimLapsesDuring(row, comebackAt + PICKUP_MS, config);
}
