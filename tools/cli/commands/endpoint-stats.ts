import type { Schema } from "../client.ts";
import { details } from "../output.ts";

type EndpointStats = Schema<"EndpointStats">;

/** The widest a series bar gets, in characters. */
const BAR_WIDTH = 30;

/** A 0–1 rate as a percentage with one decimal, or "none" with no attempts. */
function percent(rate: number | null): string {
  return rate === null ? "none (no attempts)" : `${(Math.floor(rate * 1000) / 10).toFixed(1)}%`;
}

function ms(value: number | null): string {
  return value === null ? "–" : `${value} ms`;
}

/** A bucket's start as the terminal shows it: time of day for 1h and 24h, date and time for 7d (UTC). */
function bucketLabel(start: string, window: EndpointStats["window"]): string {
  return window === "7d" ? `${start.slice(5, 10)} ${start.slice(11, 16)}` : start.slice(11, 16);
}

/**
 * An endpoint's stats for a terminal: the totals, then one line per bucket of the series with a bar
 * of "#" scaled to the busiest bucket and its counts ("!" marks a bucket with failures).
 */
export function statsText(stats: EndpointStats): string {
  const { totals, series, window } = stats;
  const head = details([
    ["Window", window],
    ["Attempts", `${totals.attempts} (${totals.succeeded} succeeded, ${totals.failed} failed)`],
    ["Success rate", percent(totals.success_rate)],
    ["Latency", `p50 ${ms(totals.latency_ms.p50)} · p95 ${ms(totals.latency_ms.p95)}`],
  ]);
  const peak = Math.max(1, ...series.map((b) => b.attempts));
  const lines = series.map((b) => {
    const bar = "#".repeat(Math.ceil((b.attempts / peak) * BAR_WIDTH)).padEnd(BAR_WIDTH);
    const failed = b.failed > 0 ? `  ! ${b.failed} failed` : "";
    return `${bucketLabel(b.start, window)}  ${bar} ${String(b.attempts).padStart(5)}${failed}\n`;
  });
  return `${head}\n${lines.join("")}`;
}
