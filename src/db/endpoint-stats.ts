import { LATENCY_BUCKETS, type StatsRollup } from "../lib/endpoint-stats";

/**
 * Endpoint stats rows (migrations/shard/0010_endpoint_stats.sql): written by the consumer batch as
 * one upsert statement in its one D1 batch, read as bounded roll-ups.
 */

const LATENCY_COLUMNS = Array.from({ length: LATENCY_BUCKETS }, (_, i) => `latency_${i}`);

// One statement for all of a batch's rollups: they travel as one JSON parameter, each adds to its
// (tenant, endpoint, bucket) row. Only for an endpoint that still exists: one deleted while the batch
// was sending to it took its rollups along, and the sweeper purges only existing endpoints' rollups,
// so a row written now would stay for ever. The WHERE clause also keeps SQLite from reading ON
// CONFLICT as a join.
const UPSERT_ROLLUPS = `
  INSERT INTO endpoint_stats (tenant_id, endpoint_id, bucket_start, succeeded, failed, ${LATENCY_COLUMNS.join(", ")})
  SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]',
         ${LATENCY_COLUMNS.map((_, i) => `value ->> '$[5][${i}]'`).join(", ")}
  FROM json_each(?)
  WHERE EXISTS (SELECT 1 FROM endpoints AS e WHERE e.id = value ->> '$[1]' AND e.tenant_id = value ->> '$[0]')
  ON CONFLICT (tenant_id, endpoint_id, bucket_start) DO UPDATE SET
    succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed,
    ${LATENCY_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`;

/**
 * The statement that adds `rollups` to their rows (one row written per rollup; a rollup of an endpoint
 * that no longer exists is dropped), or null when there are none.
 */
export function statsStatement(db: D1Database, rollups: StatsRollup[]): D1PreparedStatement | null {
  if (rollups.length === 0) return null;
  return db
    .prepare(UPSERT_ROLLUPS)
    .bind(JSON.stringify(rollups.map((r) => [r.tenantId, r.endpointId, r.bucketStart, r.succeeded, r.failed, r.latency])));
}

/** Stored rollups summed per series bucket: `bucketStart` is the series bucket's start (epoch ms). */
export type SeriesRollup = Omit<StatsRollup, "tenantId" | "endpointId">;

/**
 * One endpoint's rollups from `from` (epoch ms) on, summed per `bucketMs`-long series bucket: one
 * range seek on the primary key, at most as many rows returned as the series has buckets.
 */
export async function readEndpointStats(db: D1Database, tenantId: string, endpointId: string, from: number, bucketMs: number): Promise<SeriesRollup[]> {
  const { results } = await db
    .prepare(
      `SELECT CAST((bucket_start - ?3) / ?4 AS INTEGER) AS i, SUM(succeeded) AS succeeded, SUM(failed) AS failed,
              ${LATENCY_COLUMNS.map((c) => `SUM(${c}) AS ${c}`).join(", ")}
       FROM endpoint_stats WHERE tenant_id = ?1 AND endpoint_id = ?2 AND bucket_start >= ?3
       GROUP BY i`,
    )
    .bind(tenantId, endpointId, from, bucketMs)
    .all<Record<string, number>>();
  return results.map((r) => ({
    bucketStart: from + r.i! * bucketMs,
    succeeded: r.succeeded!,
    failed: r.failed!,
    latency: LATENCY_COLUMNS.map((c) => r[c]!),
  }));
}

/** Attempts of one endpoint by outcome. */
export interface AttemptCounts {
  succeeded: number;
  failed: number;
}

/** One stored rollup's counts by outcome (src/lib/endpoint-stats.ts tenantActivity folds them). */
export interface RollupCounts extends AttemptCounts {
  endpointId: string;
  /** Start of its 5-minute bucket, epoch ms. */
  bucketStart: number;
}

/**
 * Every rollup of the tenant's endpoints from `from` (epoch ms) on, as stored: one range seek per
 * endpoint, one row read per endpoint and 5-minute bucket with attempts (no sort: the caller folds).
 */
export async function tenantRollupsSince(db: D1Database, tenantId: string, from: number): Promise<RollupCounts[]> {
  const { results } = await db
    .prepare(
      `SELECT s.endpoint_id AS endpointId, s.bucket_start AS bucketStart, s.succeeded, s.failed
       FROM endpoints AS e CROSS JOIN endpoint_stats AS s ON s.tenant_id = e.tenant_id AND s.endpoint_id = e.id AND s.bucket_start >= ?2
       WHERE e.tenant_id = ?1`,
    )
    .bind(tenantId, from)
    .all<RollupCounts>();
  return results;
}

/**
 * Deletes up to `limit` rollups older than `before` (epoch ms): one range seek per endpoint of the
 * shard, so the work per run is bounded and runs catch up one after the other. Returns how many went.
 * Rollups of deleted endpoints go with them (deleteEndpointStats), not here.
 */
export async function purgeOldEndpointStats(db: D1Database, before: number, limit: number): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM endpoint_stats WHERE (tenant_id, endpoint_id, bucket_start) IN (
         SELECT s.tenant_id, s.endpoint_id, s.bucket_start FROM endpoints AS e
         CROSS JOIN endpoint_stats AS s ON s.tenant_id = e.tenant_id AND s.endpoint_id = e.id AND s.bucket_start < ?1
         LIMIT ?2)`,
    )
    .bind(before, limit)
    .run();
  return result.meta.changes;
}

/** The statement that deletes one endpoint's rollups, to run with the endpoint's own deletion. */
export function deleteEndpointStats(db: D1Database, tenantId: string, endpointId: string): D1PreparedStatement {
  return db.prepare("DELETE FROM endpoint_stats WHERE tenant_id = ? AND endpoint_id = ?").bind(tenantId, endpointId);
}
