import type { BatchState } from "./batch-state";
import { SEND_BUDGET_MS } from "./claim";
import { outcomeOf, platformFaultOf, type Unreadable } from "./decide";
import type { Deferral } from "./endpoint-gate";
import type { DeliveryJob } from "./jobs";
import { SLOW_ANSWER_MS } from "./lanes";
import type { ConsumerPorts } from "./ports";
import type { SendResult } from "./send";
import { FairScheduler } from "./send-scheduler";

/**
 * The dispatch stage: a batch's planned sends run six at a time, shared equally between the
 * receivers waiting (src/delivery/send-scheduler.ts), each within its endpoint's limits, inside the
 * batch's send budget (src/delivery/claim.ts). What a receiver showed earlier in the batch steers
 * its later sends: after a timeout they are held back (slow lane) or forwarded (main lane).
 *
 * Head-of-line: in the main lane, once a request has run SLOW_ANSWER_MS its receiver is slow. Its
 * unstarted sends are withdrawn and forwarded to the slow lane, and its running requests are handed
 * off: their messages are settled at once and each result, when it comes, re-queues its own delivery
 * (src/delivery/consumer.ts). So the batch waits at most SLOW_ANSWER_MS for a receiver turning slow.
 * In the slow lane such a receiver is only noted: once nothing but slow requests is left, the batch
 * records the others' results at once instead of at its next RECORD_EVERY_MS.
 */

/**
 * Workers allow six simultaneous outbound connections per invocation; more fetches would only
 * queue inside the runtime while their timeout clocks run. Six at a time keeps timeouts honest.
 */
const SEND_CONCURRENCY = 6;
/**
 * Once a send to an endpoint has timed out in a batch, the endpoint's sends not yet started come
 * back this much later, with no attempt counted, instead of holding the batch's slots for as long.
 */
const TIMED_OUT_DELAY_SECONDS = 10;

type Outcome = SendResult | Unreadable | Deferral | "forward" | null;

/** A running dispatch: `finished` once every send started has ended; `changed()` resolves at the next outcome or hand-off. */
export interface Dispatch {
  finished: Promise<void>;
  changed: () => Promise<void>;
}

/** Starts the batch's planned sends; their outcomes go to `state` as they come. */
export function dispatch(state: BatchState, ports: ConsumerPorts): Dispatch {
  const sends = state.sends();
  let wake = () => {};
  const scheduler: FairScheduler<Outcome> = new FairScheduler(
    sends.map(({ slot, job }) => ({ key: job.receiver, cap: job.work.endpoint_max_in_flight ?? Infinity, run: () => sendOne(slot, job) })),
    SEND_CONCURRENCY,
    (i, outcome) => {
      state.sent(sentOf(sends[i]!.slot, sends[i]!.job, outcome));
      wake();
    },
  );

  const sentOf = (slot: number, job: DeliveryJob, outcome: Outcome) => {
    if (!outcome) return { slot, record: null };
    if (outcome === "forward") return { slot, record: null, forward: true };
    const now = Math.max(state.startedAt, ports.clock());
    // A platform fault costs no attempt while it may still pass (decide.ts platformFaultOf).
    const result = "unreadable" in outcome ? platformFaultOf(job, outcome, now) : outcome;
    if ("deferSeconds" in result) return { slot, record: null, deferSeconds: result.deferSeconds };
    return { slot, record: outcomeOf(job, result, now, ports.random) };
  };

  /** A receiver turned slow in the main lane: nothing of the batch waits for it any longer. */
  const turnedSlow = (receiver: string) => {
    state.slow.add(receiver);
    for (const i of scheduler.withdraw(receiver)) state.sent({ slot: sends[i]!.slot, record: null, forward: true });
    state.handOff(receiver);
    wake();
  };

  const sendOne = async (slot: number, job: DeliveryJob): Promise<Outcome> => {
    const { receiver } = job;
    if (ports.clock() - state.startedAt >= SEND_BUDGET_MS) return null;
    if (state.lane === "main" && (state.timedOut.has(receiver) || state.slow.has(receiver))) return "forward";
    if (state.timedOut.has(receiver)) return { deferSeconds: TIMED_OUT_DELAY_SECONDS };
    const result = await ports.deliver(job, ports.clock, async (attempt) => {
      state.started(slot, receiver);
      const cancelNotice = ports.timers.after(SLOW_ANSWER_MS, () => (state.lane === "main" ? turnedSlow(receiver) : (state.slow.add(receiver), wake())));
      try {
        return await attempt();
      } finally {
        cancelNotice();
        state.finished(slot, receiver);
      }
    });
    if ("errorKind" in result && result.errorKind === "timeout") state.timedOut.add(receiver);
    return result;
  };

  return {
    finished: scheduler.run(),
    changed: () => new Promise<void>((resolve) => (wake = resolve)),
  };
}
