import { readConfig } from "../config";
import { IDEMPOTENCY_WINDOW_MS } from "../limits";
import {
  autoDisableFailingEndpoints,
  deliveryPairsOfShard,
  purgeIdempotencyKeys,
  purgeOldMessages,
  readSweeperMark,
  rearmStuckDeliveries,
  writeSweeperMark,
} from "../db/maintenance";
import { emitOperationalEvents } from "../ops/operational-events";
import { purgeQueuedSecrets } from "../ops/secret-purges";
import { deletePayloads } from "../payloads";
import { shardCount, shardDb } from "../shards";
import { claimMs } from "./claim";
import { enqueueDeliveries } from "./task";
import { endpointsOfShard, foldEndpointStatsIntoHours, purgeOldEndpointStats } from "../db/endpoint-stats";
import { bucketStartOf, STATS_FOLDED_BUCKET_MS, STATS_RETENTION_MS } from "../lib/endpoint-stats";

/** Per data shard and sweep: most deliveries re-armed, most messages purged. */
const REARM_LIMIT = 1000;
/** Most messages (and most deliveries) one sweep deletes: a backlog is caught up over successive runs. */
export const PURGE_LIMIT = 2000;
/**
 * Fresh deliveries are looked for among those created in this window before the claim threshold, or
 * since the last complete scan if that is older (a sweeper that stopped for a while catches up).
 */
const FRESH_LOOKBACK_MS = 3_600_000;
const FRESH_SCAN_MARK = "fresh_deliveries_scanned_to";

/** What one sweep did, summed over the data shards, for logs and tests. */
export interface SweepReport {
  requeued: number;
  disabledEndpoints: number;
  purgedMessages: number;
  purgedDeliveries: number;
  /** Deleted owners (tenants, endpoints) whose secrets it deleted from KV (src/ops/secret-purges.ts). */
  purgedSecrets: number;
  /** Indexes of the data shards whose sweep failed part-way (the error is logged); the others were swept. */
  failedShards: number[];
}

type ShardSweep = Omit<SweepReport, "failedShards" | "purgedSecrets">;

/**
 * Sweeps one data shard: re-arms its lost deliveries (queued with that shard's index), disables its
 * endpoints failing across the window (an `endpoint.disabled` event each), and expires its old data, R2 payloads included, at most
 * PURGE_LIMIT messages a run.
 */
async function sweepShard(env: Env, shard: number, now: number): Promise<ShardSweep> {
  const config = readConfig(env);
  const db = shardDb(env, shard);
  // Only deliveries no consumer batch can still hold: re-arming one a batch is sending would send it twice.
  const stuckBefore = now - claimMs(config);
  const mark = await readSweeperMark(db, FRESH_SCAN_MARK);
  const freshFrom = Math.min(mark ?? 0, stuckBefore - FRESH_LOOKBACK_MS);
  // Listed once for the re-arming and the purge: a pair that appears in between has only fresh deliveries.
  const pairs = await deliveryPairsOfShard(db);
  const stuck = await rearmStuckDeliveries(db, pairs, stuckBefore, freshFrom, now, REARM_LIMIT);
  await enqueueDeliveries(env.DELIVERIES, shard, stuck);
  if (stuck.length < REARM_LIMIT) await writeSweeperMark(db, FRESH_SCAN_MARK, stuckBefore);
  const disabled = await autoDisableFailingEndpoints(db, config.AUTO_DISABLE_AFTER_SECONDS * 1000, now);
  await emitOperationalEvents(env, disabled.map((e) => ({
    type: "endpoint.disabled" as const,
    tenant_id: e.tenant_id,
    endpoint_id: e.endpoint_id,
    occurred_at: new Date(now).toISOString(),
    reason: "failures" as const,
    detail: e.disabled_reason,
  })));
  const purged = await purgeOldMessages(db, pairs, now - config.RETENTION_DAYS * 86_400_000, PURGE_LIMIT);
  // After the rows: a crash in between leaves an orphan object, never a message without its payload.
  await deletePayloads(env, purged.r2Payloads);
  await purgeIdempotencyKeys(db, now - IDEMPOTENCY_WINDOW_MS);
  // Hours that ended more than an hour ago: the 1-hour window still reads 5-minute rollups.
  // Listed once for the fold and the purge: an endpoint created in between has no old rollups.
  const endpoints = await endpointsOfShard(db);
  await foldEndpointStatsIntoHours(db, endpoints, bucketStartOf(now, STATS_FOLDED_BUCKET_MS) - STATS_FOLDED_BUCKET_MS, PURGE_LIMIT);
  await purgeOldEndpointStats(db, endpoints, now - STATS_RETENTION_MS, PURGE_LIMIT);
  return { requeued: stuck.length, disabledEndpoints: disabled.length, purgedMessages: purged.messages, purgedDeliveries: purged.deliveries };
}

/**
 * The cron sweeper, run on every data shard at once: deletes the queued secrets of deleted owners, re-enqueues deliveries whose queue message
 * was lost (the outbox half of "persist before enqueue"), auto-disables endpoints whose failures
 * span AUTO_DISABLE_AFTER_SECONDS (never one that is merely quiet), and expires old data. SQLite
 * reuses the pages a purge frees, so a shard stops growing once retention is reached. A shard that
 * fails is logged and named in `failedShards` without stopping the others; the next sweep (a minute
 * later) picks up where it stopped, since every step is idempotent.
 */
export async function sweep(env: Env, now = Date.now()): Promise<SweepReport> {
  const shards = Array.from({ length: shardCount(env) }, (_, index) => index);
  const [swept, purgedSecrets] = await Promise.all([
    Promise.allSettled(shards.map((shard) => sweepShard(env, shard, now))),
    // The control database's queue; a failure leaves it for the next run.
    purgeQueuedSecrets(env).catch((error: Error) => {
      console.error(`deleting queued secrets of deleted owners failed: ${error.message}`);
      return 0;
    }),
  ]);
  const report: SweepReport = { requeued: 0, disabledEndpoints: 0, purgedMessages: 0, purgedDeliveries: 0, purgedSecrets, failedShards: [] };
  swept.forEach((result, shard) => {
    if (result.status === "rejected") {
      console.error(`sweep of data shard ${shard} failed: ${(result.reason as Error)?.message ?? result.reason}`);
      report.failedShards.push(shard);
      return;
    }
    report.requeued += result.value.requeued;
    report.disabledEndpoints += result.value.disabledEndpoints;
    report.purgedMessages += result.value.purgedMessages;
    report.purgedDeliveries += result.value.purgedDeliveries;
  });
  return report;
}
