import { idFloor } from "../lib/ids";
import type { ScheduledDelivery } from "./deliveries";
import type { DeliveryRef } from "./delivery-work";
import { inChunks, type KeyPage, runsOf, walkRanges, type Walked } from "./chunks";
import { type QueryBudget, unlimitedQueries } from "./query-budget";
import { SQL_NEW_QUEUE_TOKEN } from "./sql";
import type { EndpointPair } from "./sweeper-walks";

/**
 * The SQL of the delivery path's upkeep: the dead-letter consumer's last word on a delivery, and
 * the cron sweeper's re-arming of lost queue messages, auto-disabling and its marks (retention:
 * src/db/retention.ts).
 */

/** Marks a dead-lettered delivery failed, unless it already finished or was replayed meanwhile. */
export async function failDeadLettered(db: D1Database, delivery: DeliveryRef, token: string, reason: string, now: number): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET status = 'failed', last_error = ?1, next_attempt_at = NULL, updated_at = max(?2, created_at + 1)
       WHERE tenant_id = ?3 AND endpoint_id = ?4 AND id = ?5 AND queue_token = ?6 AND status IN ('scheduled', 'pending', 'retrying')`,
    )
    .bind(reason, now, delivery.tenant_id, delivery.endpoint_id, delivery.delivery_id, token)
    .run();
}

/**
 * Most (tenant, endpoint) pairs or tenant buckets one query finds: ~2 D1 rows read each (~4 at a
 * tenant's first pair), so however many a shard has, no query reads more than ~250 rows (issue 25).
 */
export const PAIRS_PAGE = 60;

// The next ?3 (tenant, endpoint) pairs that have deliveries after the pair (?1, ?2), skipping along
// the deliveries' primary key: one seek per pair (two for a tenant's first), however many deliveries
// each has. Two single-column seeks, not one row-value (tenant_id, endpoint_id) > (…): SQLite steps
// through every delivery of the previous pair for that.
const NEXT_PAIRS = `
  WITH RECURSIVE pairs(v, n) AS (
    SELECT json_array(?1, ?2), 0
    UNION ALL
    SELECT coalesce(
      (SELECT json_array(tenant_id, endpoint_id) FROM deliveries WHERE tenant_id = p.v ->> 0 AND endpoint_id > p.v ->> 1 ORDER BY endpoint_id LIMIT 1),
      (SELECT json_array(tenant_id, endpoint_id) FROM deliveries WHERE tenant_id > p.v ->> 0 ORDER BY tenant_id, endpoint_id LIMIT 1)), p.n + 1
    FROM pairs AS p WHERE p.v IS NOT NULL AND p.n < ?3)
  SELECT v ->> 0 AS t, v ->> 1 AS e FROM pairs WHERE n > 0 AND v IS NOT NULL`;

const REARM_SET = `${SQL_NEW_QUEUE_TOKEN}, enqueued_at = ?1, updated_at = max(?1, created_at + 1)`;

/**
 * When an open delivery's claim began (src/delivery/claim.ts): its last enqueue or renewal, or for a
 * retry the later of that and its due time. The key of deliveries_open (migrations/shard/0015),
 * written exactly as there so SQLite seeks it; NULL (never stuck) when a time is missing.
 */
const CLAIM_BEGAN = "(CASE status WHEN 'retrying' THEN max(next_attempt_at, enqueued_at) ELSE enqueued_at END)";

/**
 * Most rows one re-arming or purging query acts on. Each costs about 5 D1 rows read (its index
 * entry, its row, the write's seek and the index entries the write moves), so one query reads at
 * most ~250 rows (issue 25); a pass's limit is worked off in several such queries.
 */
export const UPKEEP_CHUNK = 40;
/** Most deliveries one query of the fresh-delivery walk examines: one D1 row read each. */
const FRESH_PAGE = 240;

/** What rearmStuckDeliveries re-armed, and where its walk of fresh deliveries over the shard's pairs stopped. */
export interface Rearmed {
  deliveries: ScheduledDelivery[];
  /** `end` when the walk got through the last pair; otherwise where the next resumes (its limit or its budget ran out). */
  fresh: Walked<EndpointPair>;
}

/**
 * Re-arms deliveries whose queue message evidently never arrived: whose claim began before
 * `stuckBefore` (epoch ms; see src/delivery/claim.ts: the later of the last enqueue or renewal,
 * kept in enqueued_at, and a retry's due time). Each gets a new queue token so the lost message,
 * should it surface after all, is ignored, and leaves the fresh state, so deliveries_open watches it.
 *
 * Three sources, the two index ranges first, since they cost a query per UPKEEP_CHUNK re-armed
 * however large the shard: deliveries_open (retries, replays, re-arms), a range of its key;
 * scheduled deliveries (deliveries_scheduled) due before `stuckBefore` that no consumer moved on,
 * which become pending; and fresh deliveries the enqueue path wrote without an index entry, found by
 * their ids (time-ordered) from `freshFrom` (epoch ms) to `stuckBefore` in the range of each of the
 * shard's (tenant, endpoint) pairs, walked from after `freshAfter` (null: the first pair; a walk the
 * budget cut short resumes there). At most `limit` from each source, in queries of at most
 * UPKEEP_CHUNK deliveries re-armed or FRESH_PAGE examined, as far as `budget` allows.
 */
export async function rearmStuckDeliveries(
  db: D1Database,
  stuckBefore: number,
  freshFrom: number,
  now: number,
  limit: number,
  budget: QueryBudget = unlimitedQueries(),
  freshAfter: EndpointPair | null = null,
): Promise<Rearmed> {
  const open = await inChunks(limit, UPKEEP_CHUNK, async (size) =>
    (await db
      .prepare(
        `UPDATE deliveries SET ${REARM_SET}
         WHERE (tenant_id, endpoint_id, id) IN (
           SELECT tenant_id, endpoint_id, id FROM deliveries
           WHERE status IN ('pending', 'retrying') AND updated_at > created_at AND ${CLAIM_BEGAN} < ?2
           LIMIT ?3)
         RETURNING id, tenant_id, endpoint_id, queue_token`,
      )
      .bind(now, stuckBefore, size)
      .all<ScheduledDelivery>()).results,
  budget);
  const scheduled = await inChunks(limit, UPKEEP_CHUNK, async (size) =>
    (await db
      .prepare(
        `UPDATE deliveries SET ${REARM_SET}, status = 'pending'
         WHERE (tenant_id, endpoint_id, id) IN (
           SELECT tenant_id, endpoint_id, id FROM deliveries WHERE status = 'scheduled' AND next_attempt_at < ?2 LIMIT ?3)
         RETURNING id, tenant_id, endpoint_id, queue_token`,
      )
      .bind(now, stuckBefore, size)
      .all<ScheduledDelivery>()).results,
  budget);
  const fresh: ScheduledDelivery[] = [];
  const window = { stuckBefore, freshFrom, now, limit };
  const walked = await walkRanges(freshAfter, pairsAfter(db), { page: PAIRS_PAGE, run: FRESH_PAIRS }, budget, (run) => rearmFreshRun(db, run, window, budget, fresh));
  return { deliveries: [...open, ...fresh, ...scheduled], fresh: walked };
}

/** The next pairs after `after` (null: from the first) that have deliveries, one seek each, in one query. */
export function pairsAfter(db: D1Database): KeyPage<EndpointPair> {
  return async (after, size) => {
    // Tenant ids are never empty, so ("", "") comes before every pair.
    const [t, e] = after ?? ["", ""];
    const { results } = await db.prepare(NEXT_PAIRS).bind(t, e, size).all<{ t: string; e: string }>();
    return results.map(({ t, e }): EndpointPair => [t, e]);
  };
}

/**
 * Most (tenant, endpoint) pairs one query of the fresh-delivery walk seeks (~2 D1 rows read each
 * where its window is empty): a shard's pairs take a query per FRESH_PAIRS, not one each, which
 * would spend D1's 1,000 queries per invocation (the sweeper's, for every shard) at ~1,000 pairs.
 * One page of the pairs' listing (PAIRS_PAGE), so each page listed is one run walked.
 */
const FRESH_PAIRS = PAIRS_PAGE;

/**
 * The fresh source of rearmStuckDeliveries for one run of FRESH_PAIRS pairs: their windows of ids,
 * walked a page of FRESH_PAGE − 2 × FRESH_PAIRS deliveries at a time (each pair from its own lower
 * bound, so SQLite seeks it; a full page resumes at the pair and id where it ended), the stuck ones
 * re-armed by key, UPKEEP_CHUNK a query, into `rearmed`. The re-arming write checks the state
 * again, so a delivery a consumer moved on between the two queries is left alone. Answers false when
 * it stopped at the limit or at the budget (checked before each query, so it never stops mid-write).
 */
async function rearmFreshRun(
  db: D1Database,
  run: EndpointPair[],
  { stuckBefore, freshFrom, now, limit }: { stuckBefore: number; freshFrom: number; now: number; limit: number },
  budget: QueryBudget,
  rearmed: ScheduledDelivery[],
): Promise<boolean> {
  const page = FRESH_PAGE - 2 * FRESH_PAIRS;
  // [tenant, endpoint, lowest id to look at]; ids are hex digits and dashes, so `id || ' '` is
  // below every id after `id`. The page comes in (pair, id) order because the plan walks json_each
  // in key order and seeks each pair's primary-key range (test/query-plans.test.ts pins that plan);
  // an ORDER BY would add a sorter that reads every candidate row before the LIMIT.
  let windows = run.map(([t, e]) => [t, e, idFloor(freshFrom)]);
  for (;;) {
    if (rearmed.length >= limit || !budget.allows()) return false;
    budget.charge();
    const { results: seen } = await db
      .prepare(
        `SELECT p.key AS pair, d.id, d.status = 'pending' AND d.updated_at = d.created_at AND d.enqueued_at < ?2 AS stuck
         FROM json_each(?1) AS p CROSS JOIN deliveries AS d
           ON d.tenant_id = p.value ->> 0 AND d.endpoint_id = p.value ->> 1 AND d.id >= p.value ->> 2 AND d.id < ?3
         LIMIT ?4`,
      )
      .bind(JSON.stringify(windows), stuckBefore, idFloor(stuckBefore), page)
      .all<{ pair: number; id: string; stuck: number }>();
    const stuck = seen.filter((d) => d.stuck === 1).slice(0, limit - rearmed.length);
    for (const chunk of runsOf(stuck, UPKEEP_CHUNK)) {
      if (!budget.allows()) return false;
      budget.charge();
      const { results } = await db
        .prepare(
          `UPDATE deliveries SET ${REARM_SET}
           WHERE (tenant_id, endpoint_id, id) IN (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?2))
             AND status = 'pending' AND updated_at = created_at AND enqueued_at < ?3
           RETURNING id, tenant_id, endpoint_id, queue_token`,
        )
        .bind(now, JSON.stringify(chunk.map((d) => [windows[d.pair]![0], windows[d.pair]![1], d.id])), stuckBefore)
        .all<ScheduledDelivery>();
      rearmed.push(...results);
    }
    if (seen.length < page) return true;
    const last = seen.at(-1)!;
    windows = windows.slice(last.pair);
    windows[0] = [windows[0]![0]!, windows[0]![1]!, `${last.id} `];
  }
}

/** A sweeper task's progress mark (epoch ms), or null before its first run. */
export async function readSweeperMark(db: D1Database, name: string): Promise<number | null> {
  return db.prepare("SELECT value FROM sweeper_state WHERE name = ?").bind(name).first<number>("value");
}

/** Records how far a sweeper task got (epoch ms); never moves a mark back. */
export async function writeSweeperMark(db: D1Database, name: string, value: number): Promise<void> {
  await db
    .prepare("INSERT INTO sweeper_state (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = max(value, ?2)")
    .bind(name, value)
    .run();
}

/** An endpoint the sweeper disabled, with the reason it recorded. */
export interface AutoDisabledEndpoint {
  endpoint_id: string;
  tenant_id: string;
  disabled_reason: string;
}

/**
 * Disables up to `limit` endpoints whose failures span at least `windowMs`: a failure `windowMs` or
 * more after the first failure of a streak no success interrupted. An endpoint that merely got no
 * traffic after failing is left alone, however long ago that was. Returns the endpoints it disabled
 * (only ones enabled until this write, so two sweeps never both report one); the rest wait for the
 * next call.
 *
 * @param windowMs AUTO_DISABLE_AFTER_SECONDS in milliseconds
 * @param now epoch milliseconds
 */
export async function autoDisableFailingEndpoints(db: D1Database, windowMs: number, now: number, limit: number): Promise<AutoDisabledEndpoint[]> {
  const { results } = await db
    .prepare(
      `UPDATE endpoints SET enabled = 0, updated_at = ?1,
         disabled_reason = 'Disabled automatically: every delivery failed since ' || strftime('%Y-%m-%dT%H:%M:%SZ', failing_since / 1000, 'unixepoch')
           || ', still failing at ' || strftime('%Y-%m-%dT%H:%M:%SZ', last_failed_at / 1000, 'unixepoch')
       WHERE id IN (
         SELECT id FROM endpoints WHERE enabled = 1 AND failing_since IS NOT NULL AND failing_since <= ?1 - ?2 AND last_failed_at - failing_since >= ?2
         LIMIT ?3)
       RETURNING id AS endpoint_id, tenant_id, disabled_reason`,
    )
    .bind(now, windowMs, limit)
    .all<AutoDisabledEndpoint>();
  return results;
}

/** Deletes idempotency keys past their window. */
export async function purgeIdempotencyKeys(db: D1Database, before: number): Promise<void> {
  await db.prepare("DELETE FROM idempotency_keys WHERE created_at < ?").bind(before).run();
}
