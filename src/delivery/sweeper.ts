import { readConfig } from "../config";
import { IDEMPOTENCY_WINDOW_MS } from "../limits";
import {
  autoDisableFailingEndpoints,
  purgeIdempotencyKeys,
  purgeOldMessages,
  readSweeperMark,
  rearmStuckDeliveries,
  writeSweeperMark,
} from "../db/maintenance";
import { deletePayloads } from "../payloads";
import { claimMs } from "./claim";
import { enqueueDeliveries } from "./task";

const REARM_LIMIT = 1000;
/** Most messages (and most deliveries) one sweep deletes: a backlog is caught up over successive runs. */
export const PURGE_LIMIT = 2000;
/**
 * Fresh deliveries are looked for among those created in this window before the claim threshold, or
 * since the last complete scan if that is older (a sweeper that stopped for a while catches up).
 */
const FRESH_LOOKBACK_MS = 3_600_000;
const FRESH_SCAN_MARK = "fresh_deliveries_scanned_to";

/** What one sweep did, for logs and tests. */
export interface SweepReport {
  requeued: number;
  disabledEndpoints: number;
  purgedMessages: number;
  purgedDeliveries: number;
}

/**
 * The cron sweeper: re-enqueues deliveries whose queue message was lost (the outbox half of
 * "persist before enqueue"), auto-disables endpoints whose failures span AUTO_DISABLE_AFTER_SECONDS
 * (never one that is merely quiet), and expires old data, R2 payloads included, at most PURGE_LIMIT
 * messages a run. SQLite reuses the pages a purge frees, so the database stops growing once
 * retention is reached.
 */
export async function sweep(env: Env, now = Date.now()): Promise<SweepReport> {
  const config = readConfig(env);
  // Only deliveries no consumer batch can still hold: re-arming one a batch is sending would send it twice.
  const stuckBefore = now - claimMs(config);
  const mark = await readSweeperMark(env.DB, FRESH_SCAN_MARK);
  const freshFrom = Math.min(mark ?? 0, stuckBefore - FRESH_LOOKBACK_MS);
  const stuck = await rearmStuckDeliveries(env.DB, stuckBefore, freshFrom, now, REARM_LIMIT);
  await enqueueDeliveries(env.DELIVERIES, stuck);
  if (stuck.length < REARM_LIMIT) await writeSweeperMark(env.DB, FRESH_SCAN_MARK, stuckBefore);
  const disabledEndpoints = await autoDisableFailingEndpoints(env.DB, config.AUTO_DISABLE_AFTER_SECONDS * 1000, now);
  const purged = await purgeOldMessages(env.DB, now - config.RETENTION_DAYS * 86_400_000, PURGE_LIMIT);
  // After the rows: a crash in between leaves an orphan object, never a message without its payload.
  await deletePayloads(env, purged.r2Payloads);
  await purgeIdempotencyKeys(env.DB, now - IDEMPOTENCY_WINDOW_MS);
  return { requeued: stuck.length, disabledEndpoints, purgedMessages: purged.messages, purgedDeliveries: purged.deliveries };
}
