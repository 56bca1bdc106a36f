import type { AttemptCounts } from "../db/endpoint-stats";

/** A timestamp as the dashboard shows it: `2026-11-23 14:02:11 UTC`. */
export function formatTime(value: string | number): string {
  return `${new Date(value).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** The first block of a UUID, enough to tell ids apart on screen. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/**
 * A success rate of attempts as `98%` and `(49 of 50)`, or null when there were none. Rounded down,
 * so one failure among many never shows as 100%.
 */
export function successRate(outcomes: AttemptCounts | undefined): { percent: string; counts: string } | null {
  const finished = (outcomes?.succeeded ?? 0) + (outcomes?.failed ?? 0);
  if (!outcomes || finished === 0) return null;
  // Whole numbers first: (57 / 100) * 100 is 56.99999999999999 in floating point.
  return { percent: `${Math.floor((outcomes.succeeded * 100) / finished)}%`, counts: `(${outcomes.succeeded} of ${finished})` };
}

/** A duration in whole seconds as words: `90` → `1 min 30 s`, `86400` → `24 h`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min${seconds % 60 ? ` ${seconds % 60} s` : ""}`;
  return `${Math.floor(seconds / 3600)} h${seconds % 3600 ? ` ${Math.floor((seconds % 3600) / 60)} min` : ""}`;
}
