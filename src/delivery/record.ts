import type { Cancellation, DeferredClaim } from "../db/batch-records";
import type { BatchState } from "./batch-state";
import { deferralOutlivesClaim } from "./claim";
import { DEFERRED_DELAY_SECONDS, healthOf, SHARD_FAILED, statsOf, verdictOf, type Sent, type Verdict } from "./decide";
import { MAX_QUEUE_DELAY_SECONDS } from "./backoff";
import type { Lane } from "./lanes";
import type { ConsumerPorts } from "./ports";
import { answerOf, requeueOfHandedOff, type Requeue } from "./settle";
import type { DeliveryTask } from "./task";

/**
 * The record stage and the application of settlements: results, cancellations and deferred claims
 * are written in ONE D1 batch per shard present (src/db/delivery-work.ts), the operational events
 * they cause are reported, and then the queue messages whose deliveries all have their verdicts are
 * acked, retried or split (src/delivery/settle.ts decides which).
 */

/** The claims that deferred and forwarded sends must move to when they come back (deferralOutlivesClaim). */
function deferredClaimsOf(state: BatchState, ports: ConsumerPorts, sents: Sent[], shard: number): DeferredClaim[] {
  const at = ports.clock();
  return sents.flatMap(({ slot, record, deferSeconds, forward }) => {
    const work = state.jobOf(slot).work;
    // A forwarded delivery comes back at once, in the slow lane.
    const comebackAt = at + (forward ? 0 : Math.min(deferSeconds ?? DEFERRED_DELAY_SECONDS, MAX_QUEUE_DELAY_SECONDS) * 1000);
    if (record || state.tasks[slot]!.shard !== shard || !deferralOutlivesClaim(work, comebackAt, ports.config)) return [];
    return [{ deliveryId: work.id, tenantId: work.tenant_id, endpointId: work.endpoint_id, queueToken: work.queue_token, from: comebackAt, at }];
  });
}

/**
 * Queues at once, with no delay, the FIFO deliveries the record made the head of their order (each on
 * a new queue chain, src/db/batch-records.ts), so an order moves as fast as its receiver answers
 * instead of at its held deliveries' poll. A wake the queue refuses is logged; the sweeper re-arms that
 * delivery once its claim lapses.
 */
async function wake(state: BatchState, ports: ConsumerPorts, woken: DeliveryTask[]): Promise<void> {
  if (woken.length > 0) await requeue(ports, [{ lane: state.lane, tasks: woken, delaySeconds: 0 }]);
}

/** Writes sends and cancellations, one D1 batch per shard that has any; returns the live deliveries and the shards that failed. */
async function write(state: BatchState, ports: ConsumerPorts, sents: Sent[], cancels: Array<Cancellation & { slot: number }>) {
  const live = new Set<string>();
  const failedShards = new Set<number>();
  const urls = new Map(sents.flatMap(({ slot, record }) => (record ? [[record.deliveryId, state.jobOf(slot).work.endpoint_url] as const] : [])));
  const shards = new Set([...sents, ...cancels].map(({ slot }) => state.tasks[slot]!.shard));
  await Promise.all(
    [...shards].map(async (shard) => {
      const records = sents.flatMap((s) => (s.record && state.tasks[s.slot]!.shard === shard ? [s.record] : []));
      const deferredClaims = deferredClaimsOf(state, ports, sents, shard);
      const cancellations = cancels.filter((c) => state.tasks[c.slot]!.shard === shard);
      if (records.length === 0 && cancellations.length === 0 && deferredClaims.length === 0) return;
      try {
        const recorded = await ports.store.record(shard, records, cancellations, healthOf(records, urls), statsOf(records), deferredClaims);
        for (const id of recorded.live) live.add(id);
        // Neither waits for the other's queue send: a wake does not hold the operational events back.
        await Promise.all([wake(state, ports, recorded.woken.map((w) => ({ ...w, shard }))), ports.events(records, recorded)]);
      } catch (error) {
        console.error(`data shard ${shard}: recording ${records.length + cancellations.length} results failed, their messages come back: ${(error as Error).message}`);
        failedShards.add(shard);
      }
    }),
  );
  const recorded = (slot: number) => !failedShards.has(state.tasks[slot]!.shard);
  return { live, recorded };
}

/** Queues each lane's groups of deliveries again; returns the lanes whose queue refused them (logged). */
async function requeue(ports: ConsumerPorts, groups: Requeue[]): Promise<Set<Lane>> {
  const refused = new Set<Lane>();
  const lanes = new Set(groups.map((g) => g.lane));
  await Promise.all(
    [...lanes].map(async (lane) => {
      const laneGroups = groups.filter((g) => g.lane === lane);
      try {
        await ports.requeue(lane, laneGroups);
      } catch (error) {
        console.error(`re-queueing ${laneGroups.length} groups of deliveries in the ${lane} lane failed: ${(error as Error).message}`);
        refused.add(lane);
      }
    }),
  );
  return refused;
}

/** Settles the messages all of whose deliveries have their verdicts (one queue call per lane for any re-queueing). */
export async function applySettlements(state: BatchState, ports: ConsumerPorts): Promise<void> {
  const ready = state.takeSettled();
  if (ready.length === 0) return;
  const refused = await requeue(ports, ready.flatMap(({ settlement }) => (settlement.kind === "split" ? settlement.groups : [])));
  for (const { message, settlement } of ready) {
    const answer = answerOf(settlement, refused);
    if (answer.kind === "ack") message.ack();
    else message.retry({ delaySeconds: answer.delaySeconds });
  }
}

/** Records what the batch has not recorded yet, gives each delivery its verdict and settles the messages that are ready. */
export async function recordAndSettle(state: BatchState, ports: ConsumerPorts): Promise<void> {
  const { sents, cancels } = state.takeUnrecorded();
  if (sents.length > 0 || cancels.length > 0) {
    const { live, recorded } = await write(state, ports, sents, cancels);
    for (const { slot } of cancels) state.decide(slot, recorded(slot) ? { kind: "ack" } : SHARD_FAILED);
    for (const sent of sents) state.decide(sent.slot, verdictOf(sent, live, recorded(sent.slot), state.lane));
  }
  await applySettlements(state, ports);
}

/**
 * Records the results of handed-off requests (their messages were acked at the hand-off) and queues
 * again, in new messages, the deliveries that must come back. One whose queue refuses it is re-armed
 * by the sweeper once its claim lapses, as is one whose invocation ended before its result came.
 */
export async function recordHandedOff(state: BatchState, ports: ConsumerPorts): Promise<void> {
  const sents = state.takeHandedOff();
  if (sents.length === 0) return;
  const { live, recorded } = await write(state, ports, sents, []);
  const verdicts: Array<[number, Verdict]> = sents.map((sent) => [sent.slot, verdictOf(sent, live, recorded(sent.slot), state.lane)]);
  await requeue(ports, verdicts.flatMap(([slot, verdict]) => requeueOfHandedOff(verdict, state.tasks[slot]!, state.lane) ?? []));
}
