import { idFloor } from "../lib/ids";
import { deliveryPairs } from "./sql";

/** Deliveries created in one hour of a chart, by how they ended (so far). */
export interface HourlyDeliveries {
  /** Start of the hour, epoch milliseconds. */
  start: number;
  total: number;
  succeeded: number;
  failed: number;
}

const HOUR_MS = 3_600_000;

/** `pairs(t, e)` (src/db/sql.ts) for the tenant ?1: every endpoint it has deliveries to, one seek each. */
const TENANT_TARGETS = deliveryPairs("SELECT ?1 AS id");

/**
 * Counts a tenant's deliveries per hour for `hours` hours ending with the current one, oldest
 * first; every hour is present, empty ones with zeros. (An endpoint's own chart reads its attempt
 * rollups instead: src/db/endpoint-stats.ts.)
 */
export async function hourlyDeliveryCounts(
  db: D1Database,
  tenantId: string,
  options: { now: number; hours: number },
): Promise<HourlyDeliveries[]> {
  const from = Math.floor(options.now / HOUR_MS) * HOUR_MS - (options.hours - 1) * HOUR_MS;
  const { results } = await db
    .prepare(
      `${TENANT_TARGETS}
       SELECT CAST((d.created_at - ?2) / ${HOUR_MS} AS INTEGER) AS bucket, COUNT(*) AS total,
         SUM(d.status = 'succeeded') AS succeeded, SUM(d.status = 'failed') AS failed
       FROM pairs AS p CROSS JOIN deliveries AS d ON d.tenant_id = ?1 AND d.endpoint_id = p.e AND d.id >= ?3
       GROUP BY bucket`,
    )
    .bind(tenantId, from, idFloor(from))
    .all<{ bucket: number; total: number; succeeded: number; failed: number }>();
  const byBucket = new Map(results.map((r) => [r.bucket, r]));
  return Array.from({ length: options.hours }, (_, bucket) => {
    const row = byBucket.get(bucket);
    return { start: from + bucket * HOUR_MS, total: row?.total ?? 0, succeeded: row?.succeeded ?? 0, failed: row?.failed ?? 0 };
  });
}
