import { readConfig } from "../config";
import { IDEMPOTENCY_WINDOW_MS } from "../limits";
import { autoDisableFailingEndpoints, purgeIdempotencyKeys, readSweeperMark, rearmStuckDeliveries, writeSweeperMark } from "../db/maintenance";
import { QueryBudget } from "../db/query-budget";
import { purgeOldDeliveries, purgeOldMessages } from "../db/retention";
import { readWalkMarks, type WalkMarks, writeWalkMarks } from "../db/sweeper-walks";
import { emitOperationalEvents } from "../ops/operational-events";
import { purgeQueuedSecrets } from "../ops/secret-purges";
import { PAYLOAD_PURGE_QUERIES, PAYLOAD_PURGES_PER_CALL, purgeQueuedPayloads } from "../ops/payload-purges";
import { shardCount, shardDb } from "../shards";
import { claimMs } from "./claim";
import { SECRET_PURGE_QUERIES, SHARD_SWEEP_QUERIES, shardsInTurn, SWEEP_QUERY_BUDGET } from "./sweep-turns";
import { enqueueDeliveries } from "./task";
import { foldEndpointStatsIntoHours, purgeOldEndpointStats } from "../db/endpoint-stats";
import { bucketStartOf, STATS_FOLDED_BUCKET_MS, STATS_RETENTION_MS } from "../lib/endpoint-stats";

/** Per data shard and sweep: most deliveries re-armed from each of re-arming's three sources (src/db/maintenance.ts rearmStuckDeliveries). */
const REARM_LIMIT = 1000;
/** Most messages (and most deliveries) one sweep deletes: a backlog is caught up over successive runs. */
export const PURGE_LIMIT = 2000;
/**
 * Fresh deliveries are looked for among those created in this window before the claim threshold, or
 * since the last complete scan if that is older (a sweeper that stopped for a while catches up).
 */
const FRESH_LOOKBACK_MS = 3_600_000;
const FRESH_SCAN_MARK = "fresh_deliveries_scanned_to";

/**
 * Second tries of statements D1 refused that one sweep may make (src/db/transient.ts), out of the 200
 * SWEEP_QUERY_BUDGET keeps back: without a bound, a sweep all of whose statements D1 refused once made
 * up to 1,600 queries and met the cap. Past it a refused statement fails its shard's sweep, which the
 * next run redoes. The other 50 are slack for EVENT_QUERIES, an estimate.
 */
export const SWEEP_RETRIES = 150;
/**
 * D1 queries the `endpoint.disabled` event of one disabled endpoint costs at most: its tenant's
 * subscribers read and, when one subscribes, an enqueue of a few queries (src/ops/operational-events.ts);
 * measured ~4.4 a tenant (test/sweep-budget.test.ts: 150 tenants' events took a sweep to 1,401 queries
 * before they were counted). The platform's one enqueue of a shard's events is charged as much again.
 */
const EVENT_QUERIES = 5;
/**
 * The most of a shard's budget re-arming may use. It comes first, but its fresh walk resumes where it
 * stopped like the others, so it need not take everything: the quarter kept back (with what it
 * leaves unused) keeps retention and the stats fold moving on a shard whose pairs outnumber a
 * sweep's queries, and pays the few fixed queries (auto-disable, the Idempotency-Key purge, the
 * walk marks' write).
 */
const REARM_SHARE = 3 / 4;

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
 * Re-arms the shard's lost deliveries (queued with that shard's index) within `budget`, its fresh
 * walk resuming where the last sweep's stopped. The fresh-scan mark moves only when that walk
 * reaches the last pair, and only to the threshold of the sweep that began it: a pair walked then
 * was looked at up to that time. Returns how many it re-armed and the fresh walk's marks.
 */
async function rearmShard(env: Env, shard: number, now: number, marks: WalkMarks, budget: QueryBudget): Promise<{ requeued: number; marks: Pick<WalkMarks, "freshPairs" | "freshBegan"> }> {
  const db = shardDb(env, shard);
  // Only deliveries no consumer batch can still hold: re-arming one a batch is sending would send it twice.
  const stuckBefore = now - claimMs(readConfig(env));
  budget.charge();
  const mark = await readSweeperMark(db, FRESH_SCAN_MARK);
  const freshFrom = Math.min(mark ?? 0, stuckBefore - FRESH_LOOKBACK_MS);
  const began = marks.freshBegan ?? stuckBefore;
  const stuck = await rearmStuckDeliveries(db, stuckBefore, freshFrom, now, REARM_LIMIT, budget.portion(budget.left - 1), marks.freshPairs);
  await enqueueDeliveries(env.DELIVERIES, shard, stuck.deliveries);
  if (!stuck.fresh.end) return { requeued: stuck.deliveries.length, marks: { freshPairs: stuck.fresh.after, freshBegan: began } };
  budget.charge();
  await writeSweeperMark(db, FRESH_SCAN_MARK, began);
  return { requeued: stuck.deliveries.length, marks: { freshPairs: null, freshBegan: null } };
}

/**
 * Disables the shard's endpoints failing across the window, an `endpoint.disabled` event each, as
 * many as half of `budget` pays EVENT_QUERIES each for, the platform's enqueue of them included (the
 * rest wait for the next sweep), and charges their events to it.
 */
async function disableFailing(env: Env, shard: number, now: number, budget: QueryBudget): Promise<number> {
  const most = Math.floor((budget.left - 1) / 2 / EVENT_QUERIES) - 1;
  if (most < 1) return 0;
  budget.charge();
  const disabled = await autoDisableFailingEndpoints(shardDb(env, shard), readConfig(env).AUTO_DISABLE_AFTER_SECONDS * 1000, now, most);
  if (disabled.length > 0) budget.charge((disabled.length + 1) * EVENT_QUERIES);
  await emitOperationalEvents(env, disabled.map((e) => ({
    type: "endpoint.disabled" as const,
    tenant_id: e.tenant_id,
    endpoint_id: e.endpoint_id,
    occurred_at: new Date(now).toISOString(),
    reason: "failures" as const,
    detail: e.disabled_reason,
  })));
  return disabled.length;
}

/**
 * Deletes the R2 objects of messages gone, queued as their rows went (this run's and any R2 refused
 * before): up to PURGE_LIMIT, retention's own limit, so the queue drains as fast as retention fills
 * it (one call of PAYLOAD_PURGES_PER_CALL left half of a full run's objects behind, and more each
 * run), PAYLOAD_PURGE_QUERIES charged to `budget` a call. R2 refusing leaves them queued for the
 * next run rather than failing the shard's sweep.
 */
async function purgePayloads(env: Env, shard: number, budget: QueryBudget): Promise<void> {
  for (let deleted = 0; deleted < PURGE_LIMIT && budget.allows(PAYLOAD_PURGE_QUERIES); deleted += PAYLOAD_PURGES_PER_CALL) {
    budget.charge(PAYLOAD_PURGE_QUERIES);
    const purged = await purgeQueuedPayloads(env, shardDb(env, shard)).catch((error: Error) => {
      console.error(`data shard ${shard}: deleting queued R2 payloads failed, they stay queued: ${error.message}`);
      return 0;
    });
    if (purged < PAYLOAD_PURGES_PER_CALL) return;
  }
}

/**
 * Expires the shard's old data, R2 payloads included, and folds its endpoint stats: four walks, each
 * resuming where the last sweep's stopped and at most PURGE_LIMIT rows a run, and the queued R2
 * payloads' purge, within `budget`.
 * Returns how many messages and deliveries went and the walks' new marks.
 */
async function expireShard(env: Env, shard: number, now: number, marks: WalkMarks, walks: QueryBudget) {
  const db = shardDb(env, shard);
  const retainFrom = now - readConfig(env).RETENTION_DAYS * 86_400_000;
  // Each walk (and the R2 payloads' purge) gets an equal share of what is left when its turn comes,
  // so one with a backlog cannot starve the others, and what one leaves unused goes to those after it.
  const share = (walksLeft: number) => walks.portion(Math.floor(walks.left / walksLeft));
  const deliveries = await purgeOldDeliveries(db, marks.purgeDeliveries, retainFrom, PURGE_LIMIT, share(5));
  const messages = await purgeOldMessages(db, marks.purgeMessages, retainFrom, PURGE_LIMIT, share(4));
  await purgePayloads(env, shard, share(3));
  // Hours that ended more than an hour ago: the 1-hour window still reads 5-minute rollups.
  const folded = await foldEndpointStatsIntoHours(db, marks.foldStats, bucketStartOf(now, STATS_FOLDED_BUCKET_MS) - STATS_FOLDED_BUCKET_MS, PURGE_LIMIT, share(2));
  const stats = await purgeOldEndpointStats(db, marks.purgeStats, now - STATS_RETENTION_MS, PURGE_LIMIT, share(1));
  return {
    messages: messages.done,
    deliveries: deliveries.done,
    marks: { purgeDeliveries: deliveries.after, purgeMessages: messages.after, foldStats: folded.after, purgeStats: stats.after },
  };
}

/**
 * Sweeps one data shard within `budget`: re-arming first (it is what keeps a delivery from waiting
 * for ever) with up to REARM_SHARE of it; then auto-disabling, the Idempotency-Key purge, and expiry
 * with what is left. The walks' marks are read once before and written once after, re-arming's even
 * when a later step fails: otherwise a step that kept failing would restart re-arming's walk from the
 * same pair every run, and a lost delivery past what one sweep walks would wait for ever.
 */
async function sweepShard(env: Env, shard: number, now: number, budget: QueryBudget): Promise<ShardSweep> {
  const db = shardDb(env, shard);
  budget.charge();
  const marks = await readWalkMarks(db);
  const rearmed = await rearmShard(env, shard, now, marks, budget.portion(Math.floor(budget.left * REARM_SHARE)));
  // The one query the marks' write takes is kept back from the steps before it.
  const steps = budget.portion(budget.left - 1);
  let expired: Awaited<ReturnType<typeof expireShard>> | undefined;
  try {
    const disabledEndpoints = await disableFailing(env, shard, now, steps);
    steps.charge();
    await purgeIdempotencyKeys(db, now - IDEMPOTENCY_WINDOW_MS);
    expired = await expireShard(env, shard, now, marks, steps.portion(steps.left));
    return { requeued: rearmed.requeued, disabledEndpoints, purgedMessages: expired.messages, purgedDeliveries: expired.deliveries };
  } finally {
    budget.charge();
    await writeWalkMarks(db, { ...marks, ...rearmed.marks, ...expired?.marks });
  }
}

/**
 * The cron sweeper, run at once on every data shard of this run's turn (all of them while each gets
 * SHARD_SWEEP_QUERIES): deletes the queued secrets of deleted owners, re-enqueues deliveries whose queue message
 * was lost (the outbox half of "persist before enqueue"), auto-disables endpoints whose failures
 * span AUTO_DISABLE_AFTER_SECONDS (never one that is merely quiet), and expires old data. SQLite
 * reuses the pages a purge frees, so a shard stops growing once retention is reached. A shard that
 * fails is logged and named in `failedShards` without stopping the others; the next sweep (a minute
 * later) picks up where it stopped, since every step is idempotent.
 *
 * @param queries the D1 queries the whole sweep may make (SWEEP_QUERY_BUDGET; tests pass fewer):
 *   the control database's secret purge takes SECRET_PURGE_QUERIES, the shards share the rest
 *   equally (taking turns over successive runs when a share would fall below SHARD_SWEEP_QUERIES:
 *   past 8 shards at SWEEP_QUERY_BUDGET), and a shard with more ranges than its share covers is
 *   walked over successive sweeps (src/db/sweeper-walks.ts).
 */
export async function sweep(env: Env, now = Date.now(), queries = SWEEP_QUERY_BUDGET): Promise<SweepReport> {
  const available = queries - SECRET_PURGE_QUERIES;
  const shards = shardsInTurn(shardCount(env), available, SHARD_SWEEP_QUERIES, now);
  // An equal share each: the shards are swept at once, so a pool they drew from would go to whichever
  // asked first, and one big shard would starve the rest. A share a shard leaves unused is not lost
  // work: every walk resumes next minute where it stopped.
  const share = Math.floor(available / Math.max(1, shards.length));
  const [swept, purgedSecrets] = await Promise.all([
    Promise.allSettled(shards.map((shard) => sweepShard(env, shard, now, new QueryBudget(share)))),
    // The control database's queue; a failure leaves it for the next run.
    purgeQueuedSecrets(env).catch((error: Error) => {
      console.error(`deleting queued secrets of deleted owners failed: ${error.message}`);
      return 0;
    }),
  ]);
  const report: SweepReport = { requeued: 0, disabledEndpoints: 0, purgedMessages: 0, purgedDeliveries: 0, purgedSecrets, failedShards: [] };
  swept.forEach((result, i) => {
    const shard = shards[i]!;
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
