import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY, mayResend, retryAfterSeconds, retryDelayMs } from "../../packages/client/src/retry.ts";

const NOW = Date.parse("2026-12-07T16:00:00Z");
const policy = { retries: 4, baseDelayMs: 500, maxDelayMs: 3_000 };

describe("reading Retry-After", () => {
  it("reads delay-seconds", () => {
    expect(retryAfterSeconds("7", NOW)).toBe(7);
  });

  it("reads an HTTP date as the seconds until it", () => {
    expect(retryAfterSeconds("Mon, 07 Dec 2026 16:00:30 GMT", NOW)).toBe(30);
  });

  it("reads an HTTP date already past as no wait", () => {
    expect(retryAfterSeconds("Mon, 07 Dec 2026 15:59:00 GMT", NOW)).toBe(0);
  });

  it("ignores a header that is absent or unreadable", () => {
    expect([retryAfterSeconds(null, NOW), retryAfterSeconds("soon", NOW), retryAfterSeconds("-3", NOW)]).toEqual([undefined, undefined, undefined]);
  });

  it("ignores words that a lenient date parser reads as a day in 2001, rather than retrying at once", () => {
    expect(["in 10", "Retry 2", "a-1", "Mon 5"].map((header) => retryAfterSeconds(header, NOW))).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("reads the obsolete HTTP date forms a recipient must accept (RFC 850, asctime) in GMT, whatever the local time zone", () => {
    const zone = process.env.TZ;
    process.env.TZ = "Asia/Tokyo";
    try {
      expect([retryAfterSeconds("Monday, 07-Dec-26 16:00:30 GMT", NOW), retryAfterSeconds("Mon Dec  7 16:00:30 2026", NOW)]).toEqual([30, 30]);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});

describe("the wait before a retry", () => {
  it("is what Retry-After asks for, in ms", () => {
    expect(retryDelayMs(1, 2, policy, 0.5)).toBe(2_000);
  });

  it("ends the retries when Retry-After asks for longer than maxDelayMs", () => {
    expect(retryDelayMs(1, 4, policy, 0.5)).toBeUndefined();
  });

  it("doubles from baseDelayMs without Retry-After, half of it random", () => {
    const bounds = [1, 2, 3].map((retry) => [retryDelayMs(retry, undefined, policy, 0), retryDelayMs(retry, undefined, policy, 0.999_999)]);
    expect(bounds.map(([low, high]) => [low, Math.round(high!)])).toEqual([[250, 500], [500, 1_000], [1_000, 2_000]]);
  });

  it("never exceeds maxDelayMs however many retries came before", () => {
    expect(retryDelayMs(4, undefined, policy, 0.999_999)).toBeLessThanOrEqual(3_000);
  });

  it("ends the retries after `retries` of them", () => {
    expect([retryDelayMs(4, undefined, policy, 0) !== undefined, retryDelayMs(5, undefined, policy, 0)]).toEqual([true, undefined]);
  });

  it("is bounded by default: 3 retries, none over 20 s", () => {
    expect(DEFAULT_RETRY).toEqual({ retries: 3, baseDelayMs: 500, maxDelayMs: 20_000 });
  });
});

describe("resending a call that got no answer", () => {
  it("is safe for reads, deletes and field updates", () => {
    expect(["GET", "DELETE", "PATCH", "PUT"].map((method) => mayResend(method, false))).toEqual([true, true, true, true]);
  });

  it("is not safe for a POST without an Idempotency-Key (a replay, a secret rotation)", () => {
    expect(mayResend("POST", false)).toBe(false);
  });

  it("is safe for an enqueue, whose Idempotency-Key the relay answers with the first response", () => {
    expect(mayResend("POST", true)).toBe(true);
  });
});
