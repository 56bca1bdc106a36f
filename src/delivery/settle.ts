import { MAX_QUEUE_DELAY_SECONDS } from "./backoff";
import type { Verdict } from "./decide";
import type { Lane } from "./lanes";
import type { DeliveryTask } from "./task";

/**
 * The settle stage (pure): the one place that decides what Queues hears about a queue message —
 * ack, retry in place, or ack once its deliveries that come back are queued again in new messages.
 */

/**
 * A message Queues has delivered this many times is not retried in place when its deliveries come
 * back: they are queued again in a new message (whose count starts over) and it is acked. Queues
 * dead-letters a message after wrangler.toml's max_retries (100) deliveries, and the dead-letter
 * consumer fails its deliveries; that is for messages the consumer keeps crashing on (or a shard that
 * keeps failing), never for a delivery that waits its turn under a rate limit or behind a timing-out
 * endpoint batch after batch, sent no more than its attempts allow.
 */
export const REQUEUE_AFTER_QUEUE_ATTEMPTS = 50;

/** Deliveries queued again as new messages, in one lane, after one delay (seconds). */
export interface Requeue {
  lane: Lane;
  tasks: DeliveryTask[];
  delaySeconds: number;
}

/** What Queues hears about one queue message once each of its deliveries has its verdict. */
export type Settlement =
  | { kind: "ack" }
  | { kind: "retry"; delaySeconds: number }
  /** Some deliveries come back or move lanes, others are done: those go in new messages, the original is acked. */
  | { kind: "split"; groups: Requeue[] };

/** Where a delivery with `verdict` comes back from a batch of lane `lane`: [lane, delay s], or null when it is done. */
function comebackOf(verdict: Verdict, lane: Lane): [Lane, number] | null {
  if (verdict.kind === "ack") return null;
  if (verdict.kind === "forward") return ["slow", 0];
  return [verdict.lane ?? lane, Math.min(verdict.delaySeconds, MAX_QUEUE_DELAY_SECONDS)];
}

/**
 * Settles one queue message of lane `lane` from the verdicts of its deliveries (`slots`: their
 * indexes). A message whose deliveries all come back after the same delay is retried as it is
 * (Queues keeps counting its attempts, which orders sends and feeds the dead-letter queue), unless
 * Queues has delivered it `queueAttempts` ≥ REQUEUE_AFTER_QUEUE_ATTEMPTS times and no shard failed
 * it; otherwise only the deliveries that come back are queued again, grouped by delay, and those
 * forwarded go to the slow lane, so a retry of one never re-sends another.
 */
export function settlementOf(slots: number[], verdicts: readonly Verdict[], tasks: ReadonlyArray<DeliveryTask | null>, queueAttempts: number, lane: Lane): Settlement {
  const groups = new Map<string, Requeue>();
  for (const slot of slots) {
    const comeback = comebackOf(verdicts[slot]!, lane);
    if (!comeback) continue;
    const [toLane, delay] = comeback;
    const key = `${toLane} ${delay}`;
    const group = groups.get(key) ?? { lane: toLane, tasks: [], delaySeconds: delay };
    group.tasks.push(tasks[slot]!);
    groups.set(key, group);
  }
  if (groups.size === 0) return { kind: "ack" };
  const [first] = groups.values();
  const shardFailed = slots.some((slot) => {
    const verdict = verdicts[slot]!;
    return verdict.kind === "retry" && verdict.shardFailed === true;
  });
  const retryInPlace = queueAttempts < REQUEUE_AFTER_QUEUE_ATTEMPTS || shardFailed;
  if (groups.size === 1 && first!.lane === lane && first!.tasks.length === slots.length && retryInPlace) {
    return { kind: "retry", delaySeconds: first!.delaySeconds };
  }
  return { kind: "split", groups: [...groups.values()] };
}

/**
 * How a handed-off delivery (its message was acked when its request was handed off) comes back once
 * its result is known: in a new message, or not at all.
 */
export function requeueOfHandedOff(verdict: Verdict, task: DeliveryTask, lane: Lane): Requeue | null {
  const comeback = comebackOf(verdict, lane);
  return comeback && { lane: comeback[0], tasks: [task], delaySeconds: comeback[1] };
}

/**
 * What a queue message is told once its settlement is known and the re-queueing it needed was tried
 * (`refused`: the lanes whose queue refused it). A message none of whose deliveries were queued again
 * comes back whole instead (its finished deliveries are acked when they come back). One queued again
 * in part is acked all the same: a whole retry would put its queued deliveries in two messages, to be
 * sent twice; a delivery the other lane refused has no message left, and the sweeper re-arms it once
 * its claim lapses.
 */
export function answerOf(settlement: Settlement, refused: ReadonlySet<Lane>): { kind: "ack" } | { kind: "retry"; delaySeconds: number } {
  if (settlement.kind === "ack") return settlement;
  if (settlement.kind === "retry") return settlement;
  if (settlement.groups.some((g) => !refused.has(g.lane))) return { kind: "ack" };
  return { kind: "retry", delaySeconds: Math.min(...settlement.groups.map((g) => g.delaySeconds)) };
}
