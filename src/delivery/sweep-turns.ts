/**
 * D1 queries one sweep makes at most, over every data shard: D1 allows 1,000 per Worker invocation
 * on Workers Paid (https://developers.cloudflare.com/d1/platform/limits/, "Queries per Worker
 * invocation"), and the query past it fails. The 200 kept back are for what the sweep cannot count
 * ahead: the second try src/db/transient.ts makes of a statement D1 refused (a query again, at most
 * SWEEP_RETRIES in src/delivery/sweeper.ts), and slack for the operational events of endpoints it disables, which it charges at
 * an estimate (EVENT_QUERIES, src/delivery/sweeper.ts). Queue sends and R2 deletes are
 * subrequests, not D1 queries (10,000 per invocation; SCALING.md).
 */
export const SWEEP_QUERY_BUDGET = 800;
/**
 * The control database's queries of a sweep, taken off the top: the queued secrets purge's lease of
 * up to 250 owners, then one batch that deletes the purged and frees those KV refused (src/ops/secret-purges.ts).
 */
export const SECRET_PURGE_QUERIES = 3;
/**
 * The least share of the budget a shard is swept with. Below 90 a step cannot move: the shard's
 * fixed queries (the walk marks read and written, the fresh-scan mark read and written,
 * auto-disabling, the Idempotency-Key purge) take 6, re-arming's three quarters must leave its
 * fresh walk a page and a run (a share of 9 leaves it exactly that), and when re-arming spends its
 * three quarters the four expiry walks need 2 each (a page and a run) of what is left, the
 * queued R2 payloads' purge 2 (PAYLOAD_PURGE_QUERIES, src/ops/payload-purges.ts: below 90 it took what the last walks needed), and
 * auto-disabling one endpoint with its and the platform's events 2 × EVENT_QUERIES + 1 (src/delivery/sweeper.ts) of half of it. With less,
 * a share either threw RangeError at a fixed query or swept without ever re-arming a fresh delivery
 * or purging (test/sweep-budget.test.ts).
 */
export const SHARD_SWEEP_QUERIES = 92;

/** How often the cron sweeper runs (wrangler.toml `crons = ["* * * * *"]`): shards that take turns take one a run. */
export const SWEEP_INTERVAL_MS = 60_000;

/**
 * The data shards (indexes 0 to `count` − 1) the sweep at `now` (epoch ms) sweeps, sharing
 * `available` D1 queries equally: all of them when each gets `leastShare`, otherwise as many turns
 * as that takes, one a run (by the run's minute), so each shard is swept every few minutes with a
 * share it can move with instead of every minute with one it cannot.
 */
export function shardsInTurn(count: number, available: number, leastShare: number, now: number): number[] {
  // Turns of at most `perTurn` shards, not count × leastShare / available turns: rounding that up
  // still left turns of one shard more (163 shards over 797 queries: 18 turns, some of 10 at 79
  // each). Never more turns than shards: a shard alone in its turn gets everything there is.
  const perTurn = Math.max(1, Math.floor(available / leastShare));
  const turns = Math.min(count, Math.ceil(count / perTurn));
  const turn = Math.floor(now / SWEEP_INTERVAL_MS) % turns;
  return Array.from({ length: count }, (_, index) => index).filter((index) => index % turns === turn);
}
