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
