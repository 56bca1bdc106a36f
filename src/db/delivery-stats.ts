import { idFloor } from "../lib/ids";

/** Deliveries created in one hour of a chart, by how they ended (so far). */
export interface HourlyDeliveries {
  /** Start of the hour, epoch milliseconds. */
  start: number;
  total: number;
  succeeded: number;
  failed: number;
}

/** Deliveries that reached a final verdict, for a success rate. */
export interface DeliveryOutcomes {
  succeeded: number;
  failed: number;
}

const HOUR_MS = 3_600_000;

/**
 * Counts a tenant's deliveries (optionally one endpoint's) per hour for `hours` hours ending with
 * the current one, oldest first; every hour is present, empty ones with zeros.
 */
export async function hourlyDeliveryCounts(
  db: D1Database,
  tenantId: string,
  options: { endpointId?: string; now: number; hours: number },
): Promise<HourlyDeliveries[]> {
  const from = Math.floor(options.now / HOUR_MS) * HOUR_MS - (options.hours - 1) * HOUR_MS;
  const { results } = await db
    .prepare(
      `SELECT CAST((created_at - ?2) / ${HOUR_MS} AS INTEGER) AS bucket, COUNT(*) AS total,
         SUM(status = 'succeeded') AS succeeded, SUM(status = 'failed') AS failed
       FROM deliveries
       WHERE tenant_id = ?1 AND id >= ?4 AND (?3 IS NULL OR endpoint_id = ?3)
       GROUP BY bucket`,
    )
    .bind(tenantId, from, options.endpointId ?? null, idFloor(from))
    .all<{ bucket: number; total: number; succeeded: number; failed: number }>();
  const byBucket = new Map(results.map((r) => [r.bucket, r]));
  return Array.from({ length: options.hours }, (_, bucket) => {
    const row = byBucket.get(bucket);
    return { start: from + bucket * HOUR_MS, total: row?.total ?? 0, succeeded: row?.succeeded ?? 0, failed: row?.failed ?? 0 };
  });
}

/** Succeeded and failed deliveries per endpoint of a tenant, among those created since `since`. */
export async function outcomesByEndpoint(db: D1Database, tenantId: string, since: number): Promise<Map<string, DeliveryOutcomes>> {
  const { results } = await db
    .prepare(
      `SELECT endpoint_id, SUM(status = 'succeeded') AS succeeded, SUM(status = 'failed') AS failed
       FROM deliveries
       WHERE tenant_id = ? AND endpoint_id <> '' AND id >= ? AND status IN ('succeeded', 'failed')
       GROUP BY endpoint_id`,
    )
    .bind(tenantId, idFloor(since))
    .all<{ endpoint_id: string; succeeded: number; failed: number }>();
  return new Map(results.map((r) => [r.endpoint_id, { succeeded: r.succeeded, failed: r.failed }]));
}
