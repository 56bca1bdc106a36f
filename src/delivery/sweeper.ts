import { readConfig } from "../config";
import { IDEMPOTENCY_WINDOW_MS } from "../limits";
import { autoDisableFailingEndpoints, purgeIdempotencyKeys, purgeOldMessages, rearmStuckDeliveries } from "../db/maintenance";
import { shardCount, shardDb } from "../shards";
import { claimMs } from "./claim";
import { enqueueDeliveries } from "./task";

/** Per data shard and sweep: most deliveries re-armed, most messages purged. */
const REARM_LIMIT = 1000;
const PURGE_LIMIT = 5000;

/** What one sweep did, summed over the data shards, for logs and tests. */
export interface SweepReport {
  requeued: number;
  disabledEndpoints: number;
  purgedMessages: number;
  /** Indexes of the data shards whose sweep failed part-way (the error is logged); the others were swept. */
  failedShards: number[];
}

type ShardSweep = Omit<SweepReport, "failedShards">;

/** Sweeps one data shard; what it re-arms is queued with that shard's index. */
async function sweepShard(env: Env, shard: number, now: number): Promise<ShardSweep> {
  const config = readConfig(env);
  const db = shardDb(env, shard);
  // Only deliveries no consumer batch can still hold: re-arming one a batch is sending would send it twice.
  const stuck = await rearmStuckDeliveries(db, now - claimMs(config), now, REARM_LIMIT);
  await enqueueDeliveries(env.DELIVERIES, shard, stuck);
  const disabledEndpoints = await autoDisableFailingEndpoints(db, config.AUTO_DISABLE_AFTER_SECONDS * 1000, now);
  const purgedMessages = await purgeOldMessages(db, now - config.RETENTION_DAYS * 86_400_000, PURGE_LIMIT);
  await purgeIdempotencyKeys(db, now - IDEMPOTENCY_WINDOW_MS);
  return { requeued: stuck.length, disabledEndpoints, purgedMessages };
}

/**
 * The cron sweeper, run on every data shard at once: re-enqueues deliveries whose queue message
 * was lost (the outbox half of "persist before enqueue"), auto-disables endpoints whose failures
 * span AUTO_DISABLE_AFTER_SECONDS (never one that is merely quiet), and expires old data. A shard
 * that fails is logged and named in `failedShards` without stopping the others; the next sweep
 * (a minute later) picks up where it stopped, since every step is idempotent.
 */
export async function sweep(env: Env, now = Date.now()): Promise<SweepReport> {
  const shards = Array.from({ length: shardCount(env) }, (_, index) => index);
  const swept = await Promise.allSettled(shards.map((shard) => sweepShard(env, shard, now)));
  const report: SweepReport = { requeued: 0, disabledEndpoints: 0, purgedMessages: 0, failedShards: [] };
  swept.forEach((result, shard) => {
    if (result.status === "rejected") {
      console.error(`sweep of data shard ${shard} failed: ${(result.reason as Error)?.message ?? result.reason}`);
      report.failedShards.push(shard);
      return;
    }
    report.requeued += result.value.requeued;
    report.disabledEndpoints += result.value.disabledEndpoints;
    report.purgedMessages += result.value.purgedMessages;
  });
  return report;
}
