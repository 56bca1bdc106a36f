import { readConfig } from "../config";
import { IDEMPOTENCY_WINDOW_MS } from "../limits";
import { autoDisableFailingEndpoints, purgeIdempotencyKeys, purgeOldMessages, rearmStuckDeliveries } from "../db/maintenance";
import { claimMs } from "./claim";
import { enqueueDeliveries } from "./task";

const REARM_LIMIT = 1000;
const PURGE_LIMIT = 5000;

/** What one sweep did, for logs and tests. */
export interface SweepReport {
  requeued: number;
  disabledEndpoints: number;
  purgedMessages: number;
}

/**
 * The cron sweeper: re-enqueues deliveries whose queue message was lost (the outbox half of
 * "persist before enqueue"), auto-disables endpoints whose failures span AUTO_DISABLE_AFTER_SECONDS
 * (never one that is merely quiet), and expires old data.
 */
export async function sweep(env: Env, now = Date.now()): Promise<SweepReport> {
  const config = readConfig(env);
  // Only deliveries no consumer batch can still hold: re-arming one a batch is sending would send it twice.
  const stuck = await rearmStuckDeliveries(env.DB, now - claimMs(config), now, REARM_LIMIT);
  await enqueueDeliveries(env.DELIVERIES, stuck);
  const disabledEndpoints = await autoDisableFailingEndpoints(env.DB, config.AUTO_DISABLE_AFTER_SECONDS * 1000, now);
  const purgedMessages = await purgeOldMessages(env.DB, now - config.RETENTION_DAYS * 86_400_000, PURGE_LIMIT);
  await purgeIdempotencyKeys(env.DB, now - IDEMPOTENCY_WINDOW_MS);
  return { requeued: stuck.length, disabledEndpoints, purgedMessages };
}
