import { describe, expect, it } from "vitest";
import {
  bucketStartOf,
  LATENCY_BOUNDS_MS,
  LATENCY_BUCKETS,
  latencyBucketOf,
  percentileOf,
  rollupAttempts,
  STATS_BUCKET_MS,
  STATS_WINDOWS,
  tenantActivity,
  windowStartOf,
  windowStats,
  type StatsAttempt,
} from "../../src/lib/endpoint-stats";
import { successRate } from "../../src/dashboard/format";
import { statsText } from "../../tools/cli/commands/endpoint-stats";

const HOUR = 3_600_000;
/** 2026-12-07 13:37:06 UTC: not on any bucket boundary. */
const NOW = Date.UTC(2026, 11, 7, 13, 37, 6);

const attempt = (over: Partial<StatsAttempt> = {}): StatsAttempt => ({ tenantId: "t", endpointId: "e", succeeded: true, durationMs: 40, at: NOW, ...over });
/** A histogram with `counts` at the given latency bucket indexes. */
const histogram = (counts: Record<number, number>) => Array.from({ length: LATENCY_BUCKETS }, (_, i) => counts[i] ?? 0);

describe("bucketStartOf", () => {
  it("puts a time at the start of its 5-minute bucket", () => {
    expect(bucketStartOf(NOW)).toBe(Date.UTC(2026, 11, 7, 13, 35));
  });

  it("keeps a time that is already a bucket start", () => {
    expect(bucketStartOf(Date.UTC(2026, 11, 7, 13, 35))).toBe(Date.UTC(2026, 11, 7, 13, 35));
  });
});

describe("latencyBucketOf", () => {
  it("counts a duration equal to a bound in that bound's bucket", () => {
    expect(latencyBucketOf(50)).toBe(0);
    expect(latencyBucketOf(51)).toBe(1);
  });

  it("puts a duration beyond the last bound in the open-ended last bucket", () => {
    expect(latencyBucketOf(LATENCY_BOUNDS_MS.at(-1)! + 1)).toBe(LATENCY_BUCKETS - 1);
  });
});

describe("rollupAttempts", () => {
  it("folds a batch's attempts to one endpoint in one bucket into one rollup", () => {
    const rollups = rollupAttempts([attempt(), attempt({ succeeded: false, durationMs: 300 }), attempt({ durationMs: 20_000 })]);
    expect(rollups).toEqual([
      { tenantId: "t", endpointId: "e", bucketStart: bucketStartOf(NOW), succeeded: 2, failed: 1, latency: histogram({ 0: 1, 3: 1, [LATENCY_BUCKETS - 1]: 1 }) },
    ]);
  });

  it("gives each endpoint and each bucket its own rollup", () => {
    const rollups = rollupAttempts([attempt(), attempt({ endpointId: "f" }), attempt({ at: NOW + STATS_BUCKET_MS })]);
    expect(rollups.map((r) => [r.endpointId, r.bucketStart])).toEqual([
      ["e", bucketStartOf(NOW)],
      ["f", bucketStartOf(NOW)],
      ["e", bucketStartOf(NOW) + STATS_BUCKET_MS],
    ]);
  });

  it("leaves out one-off deliveries, which have no endpoint", () => {
    expect(rollupAttempts([attempt({ endpointId: "" })])).toEqual([]);
  });
});

describe("percentileOf", () => {
  it("has no percentile for an empty histogram", () => {
    expect(percentileOf(histogram({}), 0.5)).toBeNull();
  });

  it("interpolates inside the bucket that holds the rank", () => {
    // 10 attempts in 100–250 ms: the median is halfway through that bucket.
    expect(percentileOf(histogram({ 2: 10 }), 0.5)).toBe(175);
  });

  it("finds p95 in a slow tail that p50 does not reach", () => {
    const h = histogram({ 0: 90, 5: 10 });
    expect(percentileOf(h, 0.5)).toBeLessThanOrEqual(50);
    expect(percentileOf(h, 0.95)).toBeGreaterThan(1_000);
    expect(percentileOf(h, 0.95)).toBeLessThanOrEqual(2_500);
  });

  it("reports the open-ended last bucket by its lower bound", () => {
    expect(percentileOf(histogram({ [LATENCY_BUCKETS - 1]: 3 }), 0.95)).toBe(LATENCY_BOUNDS_MS.at(-1));
  });
});

describe("windowStats", () => {
  it("has every bucket of each window, oldest first, ending with the current one", () => {
    for (const window of ["1h", "24h", "7d"] as const) {
      const { buckets, bucketMs } = STATS_WINDOWS[window];
      const { series } = windowStats(window, NOW, []);
      expect(series).toHaveLength(buckets);
      expect(series[0]!.start).toBe(windowStartOf(window, NOW));
      expect(series.at(-1)!.start).toBe(bucketStartOf(NOW, bucketMs));
    }
  });

  it("has no success rate and no latency without attempts", () => {
    expect(windowStats("24h", NOW, []).totals).toEqual({ attempts: 0, succeeded: 0, failed: 0, success_rate: null, latency_ms: { p50: null, p95: null } });
  });

  it("puts each rollup in its series bucket and sums the totals", () => {
    const from = windowStartOf("24h", NOW);
    const stats = windowStats("24h", NOW, [
      { bucketStart: from, succeeded: 3, failed: 1, latency: histogram({ 0: 4 }) },
      { bucketStart: from + 23 * HOUR, succeeded: 0, failed: 4, latency: histogram({ 1: 4 }) },
    ]);
    expect(stats.series[0]).toEqual({ start: from, attempts: 4, succeeded: 3, failed: 1 });
    expect(stats.series[23]).toEqual({ start: from + 23 * HOUR, attempts: 4, succeeded: 0, failed: 4 });
    expect(stats.totals).toMatchObject({ attempts: 8, succeeded: 3, failed: 5, success_rate: 3 / 8 });
    expect(stats.totals.latency_ms.p50).toBeLessThanOrEqual(50);
  });
});

describe("tenantActivity (the dashboard's endpoint list)", () => {
  const rollup = (endpointId: string, bucketStart: number, succeeded: number, failed: number) => ({ endpointId, bucketStart, succeeded, failed });

  it("sums every endpoint's attempts per hour of the last 24, oldest first, with empty hours as zeros", () => {
    const thisHour = bucketStartOf(NOW, HOUR);
    const { series } = tenantActivity(NOW, [rollup("a", thisHour, 2, 1), rollup("b", thisHour + STATS_BUCKET_MS, 1, 0), rollup("a", thisHour - 23 * HOUR, 0, 4)]);
    expect(series).toHaveLength(24);
    expect(series[23]).toEqual({ start: thisHour, attempts: 4, succeeded: 3, failed: 1 });
    expect(series[0]).toEqual({ start: thisHour - 23 * HOUR, attempts: 4, succeeded: 0, failed: 4 });
    expect(series.slice(1, 23).every((h) => h.attempts === 0)).toBe(true);
  });

  it("counts each endpoint's attempts by outcome over the same window", () => {
    const thisHour = bucketStartOf(NOW, HOUR);
    const { byEndpoint } = tenantActivity(NOW, [rollup("a", thisHour, 2, 1), rollup("a", thisHour - 5 * HOUR, 1, 1), rollup("b", thisHour, 0, 3)]);
    expect(Object.fromEntries(byEndpoint)).toEqual({ a: { succeeded: 3, failed: 2 }, b: { succeeded: 0, failed: 3 } });
  });

  it("leaves out rollups from before the window, from the chart and the counts alike", () => {
    const before = windowStartOf("24h", NOW) - STATS_BUCKET_MS;
    const { series, byEndpoint } = tenantActivity(NOW, [rollup("a", before, 5, 5)]);
    expect(series.every((h) => h.attempts === 0)).toBe(true);
    expect(byEndpoint.size).toBe(0);
  });
});

describe("statsText (the CLI's endpoints stats)", () => {
  const iso = (stats: ReturnType<typeof windowStats>) => ({ ...stats, series: stats.series.map((b) => ({ ...b, start: new Date(b.start).toISOString() })) });

  it("prints the totals in words and one line per bucket of the series", () => {
    const from = windowStartOf("1h", NOW);
    const text = statsText(iso(windowStats("1h", NOW, [{ bucketStart: from, succeeded: 9, failed: 1, latency: histogram({ 2: 10 }) }])));
    expect(text).toContain("Success rate:");
    expect(text).toContain("90.0%");
    expect(text).toContain("10 (9 succeeded, 1 failed)");
    expect(text).toContain("p50 175 ms");
    const series = text.trimEnd().split("\n").slice(-STATS_WINDOWS["1h"].buckets);
    expect(series[0]).toMatch(/^12:40 +#{30} +10 +! 1 failed$/);
    expect(series).toHaveLength(12);
  });

  it("says there is no success rate when there were no attempts", () => {
    expect(statsText(iso(windowStats("24h", NOW, [])))).toContain("none (no attempts)");
  });
});

describe("successRate (the dashboard's)", () => {
  it("shows a rate that is a whole percentage as that percentage: 57 of 100 is 57%, not 56%", () => {
    expect(successRate({ succeeded: 57, failed: 43 })).toEqual({ percent: "57%", counts: "(57 of 100)" });
    expect(successRate({ succeeded: 29, failed: 21 })?.percent).toBe("58%");
  });

  it("never rounds a whole percentage down, for any number of attempts up to 1000", () => {
    const wrong: string[] = [];
    for (let attempts = 1; attempts <= 1000; attempts++) {
      for (let succeeded = 0; succeeded <= attempts; succeeded++) {
        if ((succeeded * 100) % attempts !== 0) continue;
        const shown = successRate({ succeeded, failed: attempts - succeeded })!.percent;
        if (shown !== `${(succeeded * 100) / attempts}%`) wrong.push(`${succeeded} of ${attempts}: ${shown}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("rounds down otherwise, so one failure among many never shows as 100%", () => {
    expect(successRate({ succeeded: 999, failed: 1 })?.percent).toBe("99%");
  });
});
