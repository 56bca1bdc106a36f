import type { DeliveryWork } from "../db/delivery-work";
import { claimLapsesDuring, deferralOutlivesClaim } from "./claim";
import type { Lane } from "./lanes";
import { planBatch, type Plan } from "./plan";
import type { ConsumerPorts } from "./ports";
import type { DeliveryTask } from "./task";

/**
 * The claims stage: per shard, one D1 read for the batch's deliveries, then the plan, then (only
 * under a backlog) one D1 write renewing the claims that would lapse before the batch could end
 * (src/delivery/claim.ts states the bound). A delivery whose claim the batch no longer holds is
 * not sent.
 */

/** Whether the batch must renew `plan`'s claim before acting on it (src/delivery/claim.ts). */
function lapses(p: Plan, startedAt: number, ports: ConsumerPorts): DeliveryWork | null {
  if (p.kind === "send" && claimLapsesDuring(p.job.work, startedAt, ports.config)) return p.job.work;
  if (p.kind === "forward" && deferralOutlivesClaim(p.job.work, startedAt, ports.config)) return p.job.work;
  return null;
}

/**
 * Renews the claims that would lapse before this batch could end, or for a delivery forwarded to the
 * slow lane before that lane's batch could, and turns the sends and forwards of deliveries the batch
 * no longer holds (re-armed, replayed or finished meanwhile) into acks.
 */
async function holdClaims(ports: ConsumerPorts, shard: number, plans: Plan[], startedAt: number): Promise<Plan[]> {
  const lapsing = plans.map((p) => lapses(p, startedAt, ports));
  const claims = lapsing.flatMap((w) => (w ? [{ tenant_id: w.tenant_id, endpoint_id: w.endpoint_id, delivery_id: w.id, queue_token: w.queue_token }] : []));
  if (claims.length === 0) return plans;
  const held = await ports.store.renewClaims(shard, claims, startedAt);
  return plans.map((p, i) => (lapsing[i] && !held.has(lapsing[i].id) ? { kind: "ack" } : p));
}

/**
 * Plans one shard's deliveries. A shard that cannot be read leaves them "unavailable", to come back
 * later; the other shards go on.
 */
export async function planShard(ports: ConsumerPorts, shard: number, tasks: DeliveryTask[], startedAt: number, lane: Lane): Promise<Plan[]> {
  try {
    const rows = await ports.store.load(shard, tasks);
    return await holdClaims(ports, shard, planBatch(tasks, rows, startedAt, lane), startedAt);
  } catch (error) {
    console.error(`data shard ${shard}: loading ${tasks.length} deliveries failed, their messages come back: ${(error as Error).message}`);
    return tasks.map(() => ({ kind: "unavailable" }));
  }
}
