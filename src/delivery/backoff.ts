import type { z } from "zod";
import { DEFAULT_FIRST_RETRY_SECONDS, DEFAULT_MAX_ATTEMPTS } from "../limits.ts";
import type { RetrySchema } from "../schemas/endpoints";

/** An endpoint's stored retry settings (both optional). */
export type RetryConfig = z.infer<typeof RetrySchema>;

const GROWTH = 4;
/** Queues refuses delaySeconds above 12 h; longer waits are chained hops of at most this. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;
/**
 * The queue delay (seconds) of the next hop towards `dueAt` (epoch ms) from `now`: the time left,
 * rounded up so a hop never lands early, and at most MAX_QUEUE_DELAY_SECONDS; 0 when due. A wait
 * longer than one hop arrives in several, each measured afresh from the row's due time, so the
 * hops do not add up drift beyond the last one's rounding and the queue's own lateness.
 */
export function hopSeconds(dueAt: number | null, now: number): number {
  if (dueAt === null || dueAt <= now) return 0;
  return Math.min(Math.ceil((dueAt - now) / 1000), MAX_QUEUE_DELAY_SECONDS);
}

/** The default schedule's relative jitter: each wait is its base ±20 %. */
export const JITTER = 0.2;
/** Upper bound on a receiver's Retry-After that Edgehook will honour. */
const MAX_RETRY_AFTER_SECONDS = 3_600;

/** How many attempts a delivery gets in one cycle (until replayed). */
export function maxAttempts(config: RetryConfig): number {
  return config.max_attempts ?? (config.schedule ? config.schedule.length + 1 : DEFAULT_MAX_ATTEMPTS);
}

/**
 * Seconds to wait after the `attempt`-th failed attempt (1-based) before the next one.
 * An explicit schedule is followed exactly (its last step repeats); the default grows
 * 5 s × 4ⁿ up to 12 h with ±20 % jitter so that receivers coming back up are not stampeded.
 */
export function retryDelaySeconds(config: RetryConfig, attempt: number, random: () => number = Math.random): number {
  if (config.schedule) return config.schedule[Math.min(attempt, config.schedule.length) - 1]!;
  const base = Math.min(DEFAULT_FIRST_RETRY_SECONDS * GROWTH ** (attempt - 1), MAX_QUEUE_DELAY_SECONDS);
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/** The default schedule's un-jittered steps, for documentation and tests. */
export function defaultScheduleSeconds(): number[] {
  return Array.from({ length: DEFAULT_MAX_ATTEMPTS - 1 }, (_, i) => retryDelaySeconds({}, i + 1, () => 0.5));
}

/**
 * Parses a Retry-After header (seconds or HTTP date) into seconds from `now`, capped at
 * MAX_RETRY_AFTER_SECONDS; null when absent or unparseable.
 */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  let seconds: number;
  if (/^\d+$/.test(trimmed)) seconds = Number(trimmed);
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return null;
    seconds = Math.ceil((at - now) / 1000);
  }
  return Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_SECONDS);
}
