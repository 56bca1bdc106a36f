import { InvalidArgumentError } from "commander";

/** A commander argument parser for an integer within [min, max]. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** A commander parser that collects a repeatable option's values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * A commander parser for a delay given as seconds (`90`) or with a unit (`60s`, `5m`, `2h`, `7d`),
 * returned in seconds.
 */
export function parseDelay(value: string): number {
  const delay = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!delay) throw new InvalidArgumentError("expected a delay in seconds (90) or with a unit (60s, 5m, 2h, 7d)");
  return Number(delay[1]) * UNIT_SECONDS[delay[2] || "s"]!;
}

/**
 * A point in time given as an ISO-8601 timestamp or as an age such as `30m`, `2h` or `7d`,
 * returned as ISO-8601.
 */
export function parseSince(value: string, now = Date.now()): string {
  const age = /^(\d+)([smhd])$/.exec(value.trim());
  if (age) return new Date(now - Number(age[1]) * UNIT_SECONDS[age[2]!]! * 1000).toISOString();
  const time = Date.parse(value);
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(time)) {
    throw new InvalidArgumentError("expected an ISO-8601 time (2026-11-23T12:00:00Z) or an age (30m, 2h, 7d)");
  }
  return new Date(time).toISOString();
}
