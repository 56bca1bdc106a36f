import { readEndpointStats, tenantRollupsSince } from "../db/endpoint-stats";
import { tenantActivity, windowStartOf, windowStats, type StatsWindow, type TenantActivity, type WindowStats } from "../lib/endpoint-stats";
import { endpointOn } from "./endpoints";
import { tenantDb } from "./tenant-db";

/**
 * One endpoint's attempts in `window` ending `now` (epoch ms): counts by outcome, success rate,
 * p50/p95 latency and the series. 404 when the tenant has no such endpoint.
 */
export async function endpointStats(env: Env, tenantId: string, endpointId: string, window: StatsWindow, now = Date.now()): Promise<WindowStats> {
  const { db } = await tenantDb(env, tenantId);
  await endpointOn(db, tenantId, endpointId);
  const rows = await readEndpointStats(db, tenantId, endpointId, windowStartOf(window, now));
  return windowStats(window, now, rows);
}

/**
 * The tenant's attempts of the last 24 hours (the 24h window ending `now`, epoch ms) for its
 * endpoint list: per hour across its endpoints, and per endpoint. One query over the endpoints'
 * rollups: per endpoint its hourly rows (folded by the sweeper) and the 5-minute rows not folded
 * yet, with attempts; never a delivery.
 */
export async function endpointActivity(env: Env, tenantId: string, now = Date.now()): Promise<TenantActivity> {
  const { db } = await tenantDb(env, tenantId);
  return tenantActivity(now, await tenantRollupsSince(db, tenantId, windowStartOf("24h", now)));
}
