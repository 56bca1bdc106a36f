import { attemptCountsByEndpoint, readEndpointStats, type AttemptCounts } from "../db/endpoint-stats";
import { STATS_WINDOWS, windowStartOf, windowStats, type StatsWindow, type WindowStats } from "../lib/endpoint-stats";
import { endpointOn } from "./endpoints";
import { tenantDb } from "./tenant-db";

/** How far back an endpoint list's success rate looks: 24 hours, in ms. */
export const RECENT_SUCCESS_MS = 86_400_000;

/**
 * One endpoint's attempts in `window` ending `now` (epoch ms): counts by outcome, success rate,
 * p50/p95 latency and the series. 404 when the tenant has no such endpoint.
 */
export async function endpointStats(env: Env, tenantId: string, endpointId: string, window: StatsWindow, now = Date.now()): Promise<WindowStats> {
  const { db } = await tenantDb(env, tenantId);
  await endpointOn(db, tenantId, endpointId);
  const rows = await readEndpointStats(db, tenantId, endpointId, windowStartOf(window, now), STATS_WINDOWS[window].bucketMs);
  return windowStats(window, now, rows);
}

/** Attempts by outcome in the last 24 hours for each of a page of the tenant's endpoints (one query). */
export async function recentAttemptCounts(env: Env, tenantId: string, endpointIds: string[], now = Date.now()): Promise<Map<string, AttemptCounts>> {
  const { db } = await tenantDb(env, tenantId);
  return attemptCountsByEndpoint(db, tenantId, endpointIds, now - RECENT_SUCCESS_MS);
}
