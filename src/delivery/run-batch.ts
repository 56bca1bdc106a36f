import { BatchState } from "./batch-state";
import { dispatch } from "./dispatch";
import { planShard } from "./hold";
import { byShard, decodeBatch, type QueueMessage } from "./jobs";
import { laneOfQueue } from "./lanes";
import type { Plan } from "./plan";
import type { ConsumerPorts } from "./ports";
import { applySettlements, recordAndSettle, recordHandedOff } from "./record";

/**
 * The delivery queue consumer's orchestration, as stages (docs/architecture.md draws them):
 *
 *   decode → claims + plan → dispatch → decide → record → settle
 *
 * Invariant: every queue message of the batch is acked or retried exactly once, when the last of its
 * deliveries has its verdict, and before the batch function returns; nothing accepted is lost (a
 * delivery whose message is acked either is done or is queued again in a new message, or failing
 * that is re-armed by the sweeper once its claim lapses, src/delivery/claim.ts).
 *
 * Bound: per shard present, one D1 read and one D1 write for a batch that ends within RECORD_EVERY_MS
 * (plus a claim renewal under a backlog); a longer one records what has finished every
 * RECORD_EVERY_MS and settles those messages at once. In the main lane a batch waits for no receiver
 * longer than SLOW_ANSWER_MS (src/delivery/dispatch.ts hands such requests off): their results are
 * recorded under waitUntil once they come, and the queue hands out the next batch meanwhile.
 */

/** How often a batch that runs longer than this records the results it has so far. */
const RECORD_EVERY_MS = 1_500;

/** Plans each shard's deliveries (one D1 read per shard, in parallel). */
async function planAll(state: BatchState, ports: ConsumerPorts): Promise<Plan[]> {
  const plans: Plan[] = state.tasks.map(() => ({ kind: "ack" }));
  await Promise.all(
    [...byShard(state.tasks)].map(async ([shard, slots]) => {
      const shardPlans = await planShard(ports, shard, slots.map((s) => state.tasks[s]!), state.startedAt, state.lane);
      slots.forEach((slot, i) => (plans[slot] = shardPlans[i]!));
    }),
  );
  return plans;
}

/**
 * Runs one batch through the stages with `ports`. Resolves once every message is settled; sends
 * handed off in the main lane go on under `ports.waitUntil`.
 */
export async function runBatch(messages: readonly QueueMessage[], queue: string, ports: ConsumerPorts): Promise<void> {
  const state = new BatchState(messages, decodeBatch(messages, ports.hasShard), laneOfQueue(queue), ports.clock());
  state.planned(await planAll(state, ports));
  await applySettlements(state, ports);
  const sends = dispatch(state, ports);
  let sendsDone = false;
  void sends.finished.then(
    () => (sendsDone = true),
    () => (sendsDone = true),
  );
  // A quick batch records once, at its end. One that runs longer records what has finished every
  // RECORD_EVERY_MS, and at once when only slow receivers' requests are left, so a slow receiver
  // never holds back the results (and queue messages) of the others: one more D1 round trip per
  // shard each time, the same rows. One such write runs at a time,
  // and the last one starts as soon as nothing is left to wait for, even if an earlier one is still
  // running, so a slow write never stretches the batch past its bound (src/delivery/claim.ts).
  let writing: Promise<void> | null = null;
  let tick = false;
  const ticking = () => ports.timers.sleep(RECORD_EVERY_MS).then(() => (tick = true));
  let ticker = ticking();
  while (!sendsDone && !state.quiet) {
    await Promise.race([sends.finished, sends.changed(), ticker]);
    const due = tick || state.waitsOnlyOnSlow;
    if (tick) [tick, ticker] = [false, ticking()];
    if (due && !sendsDone && !writing && state.hasUnrecorded) writing = recordAndSettle(state, ports).finally(() => (writing = null));
  }
  if (sendsDone) await sends.finished;
  await Promise.all([writing, recordAndSettle(state, ports)]);
  await applySettlements(state, ports);
  ports.waitUntil(sends.finished.then(() => recordHandedOff(state, ports)));
}
