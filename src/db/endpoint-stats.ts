import { LATENCY_BUCKETS, STATS_FOLDED_BUCKET_MS as HOUR_MS, type StatsRollup } from "../lib/endpoint-stats";
import { countInChunks, type KeyPage, type Pass, walkRanges } from "./chunks";
import type { QueryBudget } from "./query-budget";
import type { EndpointPair } from "./sweeper-walks";

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

/** A stored rollup's bucket and counts: `bucketStart` is the start of its 5 minutes or, folded, of its hour (epoch ms). */
export type SeriesRollup = Omit<StatsRollup, "tenantId" | "endpointId">;

/** A read of rollups from both tiers (ROLLUPS_SINCE); `s` names the rollup row in each. */
interface RollupsRead {
  /** The columns read; `$start` stands for the start of the row's bucket, whichever its tier. */
  columns: string;
  /** Tables joined before the rollups, ending in the join (e.g. `endpoints AS e CROSS JOIN `). */
  join?: string;
  /** The terms that pick the endpoints whose rollups are read (a seek of each tier's primary key). */
  where: string;
  /** The parameter holding the first bucket start read (epoch ms), e.g. `?3`. */
  since: string;
}

// Rollups live in two tiers, the hours folded so far and the 5-minute buckets since: every read of
// them is one UNION ALL of the same select over both, so neither tier can be forgotten.
const ROLLUPS_SINCE = ({ columns, join = "", where, since }: RollupsRead) =>
  ([["endpoint_stats", "bucket_start"], ["endpoint_stats_hourly", "hour_start"]] as const)
    .map(([table, start]) => `SELECT ${columns.replaceAll("$start", `s.${start}`)} FROM ${join}${table} AS s WHERE ${where} AND s.${start} >= ${since}`)
    .join("\nUNION ALL\n");

/**
 * One endpoint's rollups from `from` (epoch ms) on, as stored (src/lib/endpoint-stats.ts
 * windowStats folds them into the window's series): two range seeks on the primary keys, one row
 * read per hour folded and per 5-minute bucket since (~48 for 24 hours, ~190 for 7 days).
 */
export async function readEndpointStats(db: D1Database, tenantId: string, endpointId: string, from: number): Promise<SeriesRollup[]> {
  const { results } = await db
    .prepare(ROLLUPS_SINCE({ columns: `$start AS bucketStart, succeeded, failed, ${LATENCY_COLUMNS.join(", ")}`, where: "s.tenant_id = ?1 AND s.endpoint_id = ?2", since: "?3" }))
    .bind(tenantId, endpointId, from)
    .all<Record<string, number>>();
  return results.map((r) => ({ bucketStart: r.bucketStart!, succeeded: r.succeeded!, failed: r.failed!, latency: LATENCY_COLUMNS.map((c) => r[c]!) }));
}

/** Attempts of one endpoint by outcome. */
export interface AttemptCounts {
  succeeded: number;
  failed: number;
}

/** One stored rollup's counts by outcome (src/lib/endpoint-stats.ts tenantActivity folds them). */
export interface RollupCounts extends AttemptCounts {
  endpointId: string;
  /** Start of its 5-minute bucket or, folded, of its hour (epoch ms). */
  bucketStart: number;
}

/**
 * Every rollup of the tenant's endpoints from `from` (epoch ms) on, as stored, both tiers: two range
 * seeks per endpoint, one row read per endpoint and hour folded or 5-minute bucket since (no sort:
 * the caller folds).
 */
export async function tenantRollupsSince(db: D1Database, tenantId: string, from: number): Promise<RollupCounts[]> {
  const { results } = await db
    .prepare(
      ROLLUPS_SINCE({
        columns: "s.endpoint_id AS endpointId, $start AS bucketStart, s.succeeded, s.failed",
        join: "endpoints AS e CROSS JOIN ",
        where: "e.tenant_id = ?1 AND s.tenant_id = e.tenant_id AND s.endpoint_id = e.id",
        since: "?2",
      }),
    )
    .bind(tenantId, from)
    .all<RollupCounts>();
  return results;
}

/** Most endpoints one query of the shard's endpoint list reads: one D1 row each. */
const ENDPOINTS_PAGE = 240;
/**
 * Most endpoints one fold or purge query seeks: ~2 D1 rows read each even where nothing is left, so
 * with its rollups a query reads ≤ ~250 rows however many endpoints the shard has (issue 25).
 */
const ENDPOINTS_RUN = 40;

/** The next endpoints after `after` (null: from the first) as [tenant id, endpoint id], by the primary key, in one query. */
function endpointsAfter(db: D1Database): KeyPage<EndpointPair> {
  return async (after, size) => {
    const { results } = await db
      .prepare("SELECT tenant_id, id FROM endpoints WHERE id > ?1 ORDER BY id LIMIT ?2")
      .bind(after?.[1] ?? "", size)
      .all<{ tenant_id: string; id: string }>();
    return results.map((e): EndpointPair => [e.tenant_id, e.id]);
  };
}

/**
 * Most 5-minute rollups one fold moves into hours: up to 4 D1 rows read each by one query (the
 * rollup, its sort into hours, the hour it adds to), so ≤ ~250 a query; finding them seeks
 * ENDPOINTS_RUN endpoints besides.
 */
const FOLD_CHUNK = 50;
/** The queries of one fold chunk: the read that picks its rollups and the batch of two that moves them. */
const FOLD_QUERIES = 3;

/**
 * Folds the 5-minute rollups of buckets before `before` (epoch ms, an hour's start) into one row per
 * endpoint and hour (endpoint_stats_hourly, adding to a row an earlier fold left), at most `limit`,
 * FOLD_CHUNK at a time from ENDPOINTS_RUN of the shard's endpoints, walked from after `after` (null:
 * the first), ENDPOINTS_PAGE listed a query, until `limit` or `budget` runs out or the endpoints
 * end. Each chunk's move is one atomic D1 batch, begun only when its read and both writes fit the
 * budget. Returns how many rollups it folded and where the next fold resumes.
 */
export async function foldEndpointStatsIntoHours(db: D1Database, after: EndpointPair | null, before: number, limit: number, budget: QueryBudget): Promise<Pass<EndpointPair>> {
  let folded = 0;
  const walked = await walkRanges(after, endpointsAfter(db), { page: ENDPOINTS_PAGE, run: ENDPOINTS_RUN, queries: FOLD_QUERIES }, budget, async (endpoints) => {
    const run = JSON.stringify(endpoints);
    const chunked = await countInChunks(limit - folded, FOLD_CHUNK, async (size) => {
      const { results: keys } = await db
        .prepare(
          `SELECT s.tenant_id, s.endpoint_id, s.bucket_start FROM json_each(?3) AS e
           CROSS JOIN endpoint_stats AS s ON s.tenant_id = e.value ->> 0 AND s.endpoint_id = e.value ->> 1 AND s.bucket_start < ?1
           LIMIT ?2`,
        )
        .bind(before, size, run)
        .all<{ tenant_id: string; endpoint_id: string; bucket_start: number }>();
      if (keys.length === 0) return 0;
      budget.charge(FOLD_QUERIES - 1);
      await db.batch(moveIntoHours(db, JSON.stringify(keys.map((k) => [k.tenant_id, k.endpoint_id, k.bucket_start]))));
      return keys.length;
    }, budget, FOLD_QUERIES);
    folded += chunked.done;
    return chunked.complete;
  });
  return { done: folded, after: walked.after };
}

/** The two statements that add the 5-minute rollups `picked` names ([tenant, endpoint, bucket start] as JSON) to their hours and delete them. */
function moveIntoHours(db: D1Database, picked: string): D1PreparedStatement[] {
  const these = "(tenant_id, endpoint_id, bucket_start) IN (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?1))";
  return [
    db
      .prepare(
        `INSERT INTO endpoint_stats_hourly (tenant_id, endpoint_id, hour_start, succeeded, failed, ${LATENCY_COLUMNS.join(", ")})
         SELECT tenant_id, endpoint_id, bucket_start / ${HOUR_MS} * ${HOUR_MS}, SUM(succeeded), SUM(failed), ${LATENCY_COLUMNS.map((c) => `SUM(${c})`).join(", ")}
         FROM endpoint_stats WHERE ${these}
         GROUP BY 1, 2, 3
         ON CONFLICT (tenant_id, endpoint_id, hour_start) DO UPDATE SET
           succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed,
           ${LATENCY_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`,
      )
      .bind(picked),
    db.prepare(`DELETE FROM endpoint_stats WHERE ${these}`).bind(picked),
  ];
}

/** Most rollups one purging query deletes: ~5 D1 rows read each, so with its ENDPOINTS_RUN seeks ≤ ~250 a query. */
const STATS_PURGE_CHUNK = 30;

/** The two tiers of rollups, each with the column its bucket starts at. */
const TIERS = [["endpoint_stats", "bucket_start"], ["endpoint_stats_hourly", "hour_start"]] as const;

/**
 * Deletes up to `limit` rollups of each tier older than `before` (epoch ms): range seeks of
 * ENDPOINTS_RUN of the shard's endpoints a query, walked from after `after` (null: the first),
 * STATS_PURGE_CHUNK rollups at most, until a tier's `limit` or `budget` runs out or the endpoints
 * end, so the work per run is bounded and runs catch up one after the other. Returns how many went
 * and where the next purge resumes. Rollups of deleted endpoints go with them (deleteEndpointStats), not here.
 */
export async function purgeOldEndpointStats(db: D1Database, after: EndpointPair | null, before: number, limit: number, budget: QueryBudget): Promise<Pass<EndpointPair>> {
  const purgedOf = TIERS.map(() => 0);
  const walked = await walkRanges(after, endpointsAfter(db), { page: ENDPOINTS_PAGE, run: ENDPOINTS_RUN }, budget, async (endpoints) => {
    const run = JSON.stringify(endpoints);
    for (const [tier, [table, start]] of TIERS.entries()) {
      const chunked = await countInChunks(limit - purgedOf[tier]!, STATS_PURGE_CHUNK, async (size) => {
        const { meta } = await db
          .prepare(
            `DELETE FROM ${table} WHERE (tenant_id, endpoint_id, ${start}) IN (
               SELECT s.tenant_id, s.endpoint_id, s.${start} FROM json_each(?3) AS e
               CROSS JOIN ${table} AS s ON s.tenant_id = e.value ->> 0 AND s.endpoint_id = e.value ->> 1 AND s.${start} < ?1
               LIMIT ?2)`,
          )
          .bind(before, size, run)
          .run();
        return meta.changes;
      }, budget);
      purgedOf[tier]! += chunked.done;
      if (!chunked.complete) return false;
    }
    return true;
  });
  return { done: purgedOf.reduce((a, b) => a + b, 0), after: walked.after };
}

/** The statements that delete one endpoint's rollups of both tiers, to run with the endpoint's own deletion. */
export function deleteEndpointStats(db: D1Database, tenantId: string, endpointId: string): D1PreparedStatement[] {
  return ["endpoint_stats", "endpoint_stats_hourly"].map((table) => db.prepare(`DELETE FROM ${table} WHERE tenant_id = ? AND endpoint_id = ?`).bind(tenantId, endpointId));
}
