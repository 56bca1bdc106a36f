import { describe, expect, it } from "vitest";
import { SECRET_PURGE_QUERIES, SHARD_SWEEP_QUERIES, shardsInTurn, SWEEP_INTERVAL_MS, SWEEP_QUERY_BUDGET } from "../../src/delivery/sweep-turns";

// The cron sweeper's shards share its D1 queries equally; when a share would fall below what a
// shard needs to move, they take turns a minute each. Every shard must come round, and no turn may
// hold so many shards that their share falls below the least one again.

// The least share, and what the sweep's budget leaves the shards once the control database's secret purge is paid.
const LEAST = SHARD_SWEEP_QUERIES;
const AVAILABLE = SWEEP_QUERY_BUDGET - SECRET_PURGE_QUERIES;

/** The shards swept by each of `minutes` successive runs from minute 0. */
function runs(count: number, minutes: number): number[][] {
  return Array.from({ length: minutes }, (_, minute) => shardsInTurn(count, AVAILABLE, LEAST, minute * SWEEP_INTERVAL_MS));
}

describe("shards taking turns in the cron sweeper", () => {
  it("17 shards over 797 queries give no shard of any turn less than 92", () => {
    for (const turn of runs(17, 17)) expect(Math.floor(AVAILABLE / turn.length)).toBeGreaterThanOrEqual(LEAST);
  });

  it("no turn gives its shards less than the least share, for any number of shards up to 1,000", () => {
    for (let count = 1; count <= 1000; count++) {
      for (const turn of runs(count, Math.min(count, 120))) expect(Math.floor(AVAILABLE / turn.length), `${count} shards`).toBeGreaterThanOrEqual(LEAST);
    }
  });

  it("every shard is swept within as many successive runs as there are shards, whatever their number", () => {
    for (let count = 1; count <= 300; count++) {
      const swept = new Set(runs(count, count).flat());
      expect(swept.size, `${count} shards`).toBe(count);
    }
  });

  it("every shard is swept every run when the budget gives each the least share", () => {
    expect(runs(8, 3)).toEqual(Array.from({ length: 3 }, () => [0, 1, 2, 3, 4, 5, 6, 7]));
  });

  it("a turn is the run's minute: two runs of the same minute sweep the same shards, the next minute the next turn", () => {
    const at = (ms: number) => shardsInTurn(20, AVAILABLE, LEAST, ms);
    expect(at(5 * SWEEP_INTERVAL_MS + 59_999)).toEqual(at(5 * SWEEP_INTERVAL_MS));
    expect(at(6 * SWEEP_INTERVAL_MS)).not.toEqual(at(5 * SWEEP_INTERVAL_MS));
  });
});
