import { idFloor, KEY_EPOCH_MS } from "../lib/ids";
import { countInChunks, type KeyPage, type Pass, walkRanges } from "./chunks";
import { pairsAfter, PAIRS_PAGE, UPKEEP_CHUNK } from "./maintenance";
import type { QueryBudget } from "./query-budget";
import type { EndpointPair } from "./sweeper-walks";

/**
 * Retention: the sweeper deletes messages and deliveries past RETENTION_DAYS, a bounded amount a
 * sweep, each kind in a resumable walk over its ranges (src/db/chunks.ts walkRanges) that the next
 * sweep continues where this one stopped (src/db/sweeper-walks.ts).
 */

/**
 * Most (tenant, endpoint) pairs or tenant buckets one purging query seeks: ~2 D1 rows read each
 * even when nothing there is old enough, so with UPKEEP_CHUNK deletions a query reads ≤ ~250 rows.
 */
const PURGE_RANGES = 20;

/**
 * Deletes up to `limit` deliveries created before `before` (epoch ms), oldest first within each
 * (tenant, endpoint) pair, walking the shard's pairs from after `after` (null: the first), PAIRS_PAGE
 * found a query and PURGE_RANGES sought a query, each query deleting at most UPKEEP_CHUNK (issue 25:
 * ≤ ~250 D1 rows read per query), until `limit` or `budget` runs out or the pairs end.
 */
export async function purgeOldDeliveries(db: D1Database, after: EndpointPair | null, before: number, limit: number, budget: QueryBudget): Promise<Pass<EndpointPair>> {
  return purgeInRuns(after, pairsAfter(db), limit, budget, async (run, size) => {
    const { meta } = await db
      .prepare(
        `DELETE FROM deliveries WHERE (tenant_id, endpoint_id, id) IN (
           SELECT d.tenant_id, d.endpoint_id, d.id FROM json_each(?3) AS p
           CROSS JOIN deliveries AS d ON d.tenant_id = p.value ->> 0 AND d.endpoint_id = p.value ->> 1 AND d.id < ?1
           LIMIT ?2)`,
      )
      .bind(idFloor(before), size, run)
      .run();
    return meta.changes;
  });
}

/**
 * The walk both purges make: the ranges after `after` (`page`, PAIRS_PAGE a query), PURGE_RANGES
 * at a time handed to `purge(run, size)` as a JSON array of their keys, which deletes at most `size`
 * rows of them and answers how many it deleted, UPKEEP_CHUNK a query, until `limit` rows are gone,
 * `budget` runs out or the ranges end.
 */
async function purgeInRuns<K>(
  after: K | null,
  page: KeyPage<K>,
  limit: number,
  budget: QueryBudget,
  purge: (run: string, size: number) => Promise<number>,
): Promise<Pass<K>> {
  let purged = 0;
  const walked = await walkRanges(after, page, { page: PAIRS_PAGE, run: PURGE_RANGES }, budget, async (keys) => {
    const run = JSON.stringify(keys);
    const chunked = await countInChunks(limit - purged, UPKEEP_CHUNK, (size) => purge(run, size), budget);
    purged += chunked.done;
    return chunked.complete;
  });
  return { done: purged, after: walked.after };
}

// The next ?2 tenant buckets that have messages after bucket ?1 (-1: from the first), by a loose
// index scan over the message keys: one seek each.
const NEXT_BUCKETS = `
  WITH RECURSIVE buckets(b, n) AS (
    SELECT ?1, 0
    UNION ALL
    SELECT (SELECT min(key) FROM messages WHERE key >= ((buckets.b + 1) << 47)) >> 47, buckets.n + 1
    FROM buckets WHERE buckets.b IS NOT NULL AND buckets.n < ?2)
  SELECT b FROM buckets WHERE n > 0 AND b IS NOT NULL`;

/** The next tenant buckets after `after` (null: from the first) that have messages, one seek each, in one query. */
function bucketsAfter(db: D1Database): KeyPage<number> {
  return async (after, size) => {
    const { results } = await db.prepare(NEXT_BUCKETS).bind(after ?? -1, size).all<{ b: number }>();
    return results.map((r) => r.b);
  };
}

/**
 * Deletes up to `limit` messages created before `before` (epoch ms), oldest first within each tenant
 * bucket, walking the shard's buckets from after `after` (null: the first) as purgeOldDeliveries
 * walks pairs. A message whose payload is in R2 leaves it queued for deletion (a trigger of
 * migrations/shard/0019; src/ops/payload-purges.ts deletes the objects).
 */
export async function purgeOldMessages(
  db: D1Database,
  after: number | null,
  before: number,
  limit: number,
  budget: QueryBudget,
): Promise<Pass<number>> {
  return purgeInRuns(after, bucketsAfter(db), limit, budget, async (run, size) => {
    const { results } = await db
      .prepare(
        `DELETE FROM messages WHERE key IN (
           SELECT m.key FROM json_each(?3) AS k CROSS JOIN messages AS m ON m.key >= (k.value << 47) AND m.key < (k.value << 47) | ((?1 - ${KEY_EPOCH_MS}) << 7)
           LIMIT ?2)
         RETURNING key`,
      )
      .bind(before, size, run)
      .all();
    return results.length;
  });
}
