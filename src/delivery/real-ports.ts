import { readConfig } from "../config";
import { loadDeliveryWork, renewClaims } from "../db/delivery-work";
import { recordBatchResults } from "../db/batch-records";
import { batchEvents, emitOperationalEvents } from "../ops/operational-events";
import { targetPolicyOf } from "../security/target-guard";
import { isShardIndex, shardDb } from "../shards";
import { attemptDelivery } from "./attempt";
import { batchReads } from "./batch-reads";
import { SEND_BOUND_MS } from "./claim";
import { withinEndpointLimits } from "./endpoint-gate";
import { queueOfLane } from "./lanes";
import type { ConsumerPorts, Timers } from "./ports";
import { requeueTasks } from "./task";

/** The real timers of the Worker. */
export const realTimers: Timers = {
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * The consumer's ports wired to the Worker's bindings: D1 shards, the endpoint limiter, KV secrets,
 * R2 payloads (each read once per batch, src/delivery/batch-reads.ts), the two lanes' queues and the
 * operational-events sender. `waitUntil` is the queue
 * handler's (ctx.waitUntil).
 */
export function realPorts(env: Env, options: { clock: () => number; random: () => number; waitUntil: (work: Promise<unknown>) => void }): ConsumerPorts {
  const config = readConfig(env);
  const policy = targetPolicyOf(config);
  const reads = batchReads();
  return {
    ...options,
    timers: realTimers,
    config,
    hasShard: (shard) => isShardIndex(env, shard),
    store: {
      load: (shard, refs) => loadDeliveryWork(shardDb(env, shard), refs),
      renewClaims: (shard, claims, now) => renewClaims(shardDb(env, shard), claims, now),
      record: (shard, attempts, cancellations, health, stats, deferred) => recordBatchResults(shardDb(env, shard), attempts, cancellations, health, stats, deferred),
    },
    deliver: (job, now, around) =>
      withinEndpointLimits(env, { endpointId: job.work.endpoint_id, limits: job.limits }, SEND_BOUND_MS, () => around(() => attemptDelivery(env, job, policy, now(), reads))),
    requeue: (lane, groups) => requeueTasks(queueOfLane(env, lane), groups),
    events: (records, recorded) => emitOperationalEvents(env, batchEvents(records, recorded)),
  };
}
