/**
 * The arithmetic of endpoint stats (issue 27), pure: which 5-minute bucket an attempt falls in,
 * how a batch's attempts fold into one rollup row per endpoint and bucket, how stored buckets
 * roll up into a window's series, and p50/p95 from a fixed latency histogram.
 */

/** The stored bucket size: 5 minutes, in ms. Every window's series is a whole multiple of it. */
export const STATS_BUCKET_MS = 300_000;

/** The bucket the sweeper folds older 5-minute rows into (migrations/shard/0016): an hour, in ms. */
export const STATS_FOLDED_BUCKET_MS = 3_600_000;

/**
 * Upper bounds (ms, inclusive) of the latency histogram's buckets; one more bucket holds everything
 * slower. Mirrored by the columns latency_0…latency_7 of migrations/shard/0010_endpoint_stats.sql.
 */
export const LATENCY_BOUNDS_MS = [50, 100, 250, 500, 1_000, 2_500, 10_000] as const;

/** How many latency buckets a rollup has: one per bound plus the open-ended last. */
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

/** The windows a caller may ask for, with how many series buckets each has and how long each is (ms). */
export const STATS_WINDOWS = {
  "1h": { buckets: 12, bucketMs: 300_000 },
  "24h": { buckets: 24, bucketMs: 3_600_000 },
  "7d": { buckets: 28, bucketMs: 21_600_000 },
} as const satisfies Record<string, { buckets: number; bucketMs: number }>;

export type StatsWindow = keyof typeof STATS_WINDOWS;

/** How long rollups are kept (ms): the longest window and a day's slack, then the sweeper purges them. */
export const STATS_RETENTION_MS = 8 * 86_400_000;

/** One endpoint's attempts in one stored bucket: counts by outcome and the latency histogram. */
export interface StatsRollup {
  tenantId: string;
  endpointId: string;
  /** Start of the 5-minute bucket, epoch ms. */
  bucketStart: number;
  succeeded: number;
  failed: number;
  /** Attempts per latency bucket, LATENCY_BUCKETS long. */
  latency: number[];
}

/** What the rollup needs of one attempt. */
export interface StatsAttempt {
  tenantId: string;
  /** "" for a one-off webhook_url delivery, which has no endpoint and so no stats. */
  endpointId: string;
  succeeded: boolean;
  durationMs: number;
  /** Epoch ms. */
  at: number;
}

/** The start (epoch ms) of the `size`-ms bucket `at` (epoch ms) falls in. */
export function bucketStartOf(at: number, size = STATS_BUCKET_MS): number {
  return Math.floor(at / size) * size;
}

/** The index of the latency bucket a duration (ms) falls in. */
export function latencyBucketOf(durationMs: number): number {
  const index = LATENCY_BOUNDS_MS.findIndex((bound) => durationMs <= bound);
  return index === -1 ? LATENCY_BOUNDS_MS.length : index;
}

/** Folds attempts into one rollup per (tenant, endpoint, 5-minute bucket); attempts without an endpoint are left out. */
export function rollupAttempts(attempts: StatsAttempt[]): StatsRollup[] {
  const rollups = new Map<string, StatsRollup>();
  for (const a of attempts) {
    if (a.endpointId === "") continue;
    const bucketStart = bucketStartOf(a.at);
    const key = JSON.stringify([a.tenantId, a.endpointId, bucketStart]);
    let rollup = rollups.get(key);
    if (!rollup) {
      rollup = { tenantId: a.tenantId, endpointId: a.endpointId, bucketStart, succeeded: 0, failed: 0, latency: new Array(LATENCY_BUCKETS).fill(0) };
      rollups.set(key, rollup);
    }
    if (a.succeeded) rollup.succeeded++;
    else rollup.failed++;
    rollup.latency[latencyBucketOf(a.durationMs)]!++;
  }
  return [...rollups.values()];
}

/**
 * The latency (ms) below which a fraction `p` (0–1) of the histogram's attempts fall, interpolated
 * linearly inside the bucket that holds it; the open-ended last bucket reports its lower bound.
 * Null for an empty histogram. An estimate: exact only to the width of a bucket.
 */
export function percentileOf(histogram: number[], p: number): number | null {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = p * total;
  let below = 0;
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i]!;
    if (count > 0 && below + count >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i];
      if (upper === undefined) return lower;
      return Math.round(lower + ((rank - below) / count) * (upper - lower));
    }
    below += count;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}

/** One bucket of a window's series. */
export interface SeriesBucket {
  /** Epoch ms. */
  start: number;
  attempts: number;
  succeeded: number;
  failed: number;
}

/** A window's stats, times in epoch ms (the API turns them into RFC 3339). */
export interface WindowStats {
  window: StatsWindow;
  totals: {
    attempts: number;
    succeeded: number;
    failed: number;
    /** 0–1; null with no attempts. */
    success_rate: number | null;
    latency_ms: { p50: number | null; p95: number | null };
  };
  series: SeriesBucket[];
}

/** The first stored bucket (epoch ms) a window ending `now` (epoch ms) reads: its series' first bucket. */
export function windowStartOf(window: StatsWindow, now: number): number {
  const { buckets, bucketMs } = STATS_WINDOWS[window];
  return bucketStartOf(now, bucketMs) - (buckets - 1) * bucketMs;
}

/**
 * A window's stats from the stored rollups in it (each at or after windowStartOf): the series has
 * every bucket, oldest first, empty ones with zeros; totals sum the series.
 */
export function windowStats(window: StatsWindow, now: number, rows: Array<Omit<StatsRollup, "tenantId" | "endpointId">>): WindowStats {
  const { buckets, bucketMs } = STATS_WINDOWS[window];
  const from = windowStartOf(window, now);
  const series: SeriesBucket[] = Array.from({ length: buckets }, (_, i) => ({ start: from + i * bucketMs, attempts: 0, succeeded: 0, failed: 0 }));
  const histogram = new Array<number>(LATENCY_BUCKETS).fill(0);
  for (const row of rows) {
    const bucket = series[Math.floor((row.bucketStart - from) / bucketMs)];
    if (!bucket) continue;
    bucket.succeeded += row.succeeded;
    bucket.failed += row.failed;
    bucket.attempts += row.succeeded + row.failed;
    row.latency.forEach((n, i) => (histogram[i]! += n));
  }
  const succeeded = series.reduce((sum, b) => sum + b.succeeded, 0);
  const failed = series.reduce((sum, b) => sum + b.failed, 0);
  const attempts = succeeded + failed;
  return {
    window,
    totals: {
      attempts,
      succeeded,
      failed,
      success_rate: attempts === 0 ? null : succeeded / attempts,
      latency_ms: { p50: percentileOf(histogram, 0.5), p95: percentileOf(histogram, 0.95) },
    },
    series,
  };
}

/** A tenant's last 24 hours for its endpoint list: attempts per hour across its endpoints, and per endpoint. */
export interface TenantActivity {
  /** The 24h window's series (hourly, oldest first, empty hours with zeros), summed over the tenant's endpoints. */
  series: SeriesBucket[];
  /** Attempts by outcome in that window, per endpoint that had any. */
  byEndpoint: Map<string, { succeeded: number; failed: number }>;
}

/** Folds a tenant's stored rollups into its TenantActivity for the 24h window ending `now` (epoch ms); rollups outside it are left out. */
export function tenantActivity(now: number, rows: Array<{ endpointId: string; bucketStart: number; succeeded: number; failed: number }>): TenantActivity {
  const from = windowStartOf("24h", now);
  const inWindow = rows.filter((r) => r.bucketStart >= from && r.bucketStart <= now);
  const { series } = windowStats("24h", now, inWindow.map((r) => ({ bucketStart: r.bucketStart, succeeded: r.succeeded, failed: r.failed, latency: [] })));
  const byEndpoint = new Map<string, { succeeded: number; failed: number }>();
  for (const r of inWindow) {
    const counts = byEndpoint.get(r.endpointId) ?? { succeeded: 0, failed: 0 };
    counts.succeeded += r.succeeded;
    counts.failed += r.failed;
    byEndpoint.set(r.endpointId, counts);
  }
  return { series, byEndpoint };
}
