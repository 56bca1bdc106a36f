import type { FC } from "hono/jsx";
import type { SeriesBucket, WindowStats } from "../../lib/endpoint-stats";
import { successRate } from "../format";

const WIDTH = 480;
const HEIGHT = 120;
const GAP = 2;

/** A bucket's span as a reader sees it, in UTC: "13:00–14:00 UTC", or with dates for buckets of 6 h. */
function spanLabel(start: number, bucketMs: number): string {
  const at = (ms: number) => new Date(ms).toISOString();
  const short = bucketMs >= 21_600_000 ? (ms: number) => `${at(ms).slice(5, 10)} ${at(ms).slice(11, 16)}` : (ms: number) => at(ms).slice(11, 16);
  return `${short(start)}–${short(start + bucketMs)} UTC`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The latency percentiles in words, or why there are none. */
function latencyText({ p50, p95 }: WindowStats["totals"]["latency_ms"]): string {
  return p50 === null || p95 === null ? "No attempts" : `about ${p50} ms typical (p50), ${p95} ms for the slowest 5% (p95)`;
}

const WINDOW_TEXT: Record<WindowStats["window"], { ago: string; mid: string }> = {
  "1h": { ago: "1 h ago", mid: "30 min ago" },
  "24h": { ago: "24 h ago", mid: "12 h ago" },
  "7d": { ago: "7 days ago", mid: "3½ days ago" },
};

/**
 * An endpoint's attempts per bucket of a window as an inline SVG bar chart (failed at the bottom,
 * succeeded above), one `<g class="bar">` per bucket, with the success rate and latency in words
 * beside it. Colours come from stylesheet classes, so the strict CSP needs no inline styles.
 */
export const StatsChart: FC<{ stats: WindowStats; bucketMs: number; id: string }> = ({ stats, bucketMs, id }) => {
  const { totals, series } = stats;
  const rate = successRate(totals);
  const slot = WIDTH / series.length;
  const peak = Math.max(1, ...series.map((b) => b.attempts));
  const scale = (n: number) => (n / peak) * (HEIGHT - 4);
  const describe = (b: SeriesBucket) =>
    `${spanLabel(b.start, bucketMs)}: ${plural(b.attempts, "attempt", "attempts")}, ${b.succeeded} succeeded, ${b.failed} failed`;
  return (
    <div class="stats">
      <figure class="chart">
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`${plural(totals.attempts, "attempt", "attempts")}, ${totals.failed} failed`}
          data-testid={`${id}-svg`}
        >
          {series.map((b, i) => {
            const x = i * slot + GAP / 2;
            const width = Math.max(1, slot - GAP);
            const failedHeight = scale(b.failed);
            const okHeight = scale(b.succeeded);
            return (
              <g class="bar">
                <title>{describe(b)}</title>
                <rect x={x} y={0} width={width} height={HEIGHT} fill="transparent" />
                {b.failed > 0 && <rect class="bar-bad" x={x} y={HEIGHT - failedHeight} width={width} height={failedHeight} />}
                {b.succeeded > 0 && <rect class="bar-ok" x={x} y={HEIGHT - failedHeight - okHeight} width={width} height={okHeight} />}
              </g>
            );
          })}
          <line class="baseline" x1={0} x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} vector-effect="non-scaling-stroke" />
        </svg>
        <div class="axis" aria-hidden="true">
          <span>{WINDOW_TEXT[stats.window].ago}</span>
          <span>{WINDOW_TEXT[stats.window].mid}</span>
          <span>now</span>
        </div>
      </figure>
      <dl class="stats-words" id={`${id}-words`}>
        <dt>Success rate</dt>
        <dd>
          {rate ? (
            <>
              <strong>{rate.percent}</strong> <span class="muted small">{rate.counts}</span>
            </>
          ) : (
            "No attempts"
          )}
        </dd>
        <dt>Failed attempts</dt>
        <dd>{totals.failed}</dd>
        <dt>Latency</dt>
        <dd>{latencyText(totals.latency_ms)}</dd>
      </dl>
    </div>
  );
};
