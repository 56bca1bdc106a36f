import { describe, expect, it } from "vitest";
import { FaultInjector } from "../src/faults/injector";
import { KvLag } from "../src/faults/kv-lag";
import { FaultSpecError, NO_FAULTS, parseFaultSpec } from "../src/faults/spec";
import { faultInjectionAllowed } from "../src/faults/env";
import { isTransientPlatformError } from "../src/platform-errors";

/** A random source that returns `values` in turn. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe("EDGEHOOK_FAULTS spec", () => {
  it("reads every name of the contract, separated by spaces or commas", () => {
    expect(parseFaultSpec("kv_stale_seconds=30 d1_error_rate=0.03,queue_error_rate=0.1, r2_error_rate=1  kv_error_rate=0")).toEqual({
      kvStaleSeconds: 30,
      d1ErrorRate: 0.03,
      queueErrorRate: 0.1,
      r2ErrorRate: 1,
      kvErrorRate: 0,
      d1QueriesPerInvocation: 0,
      kvOperationsPerInvocation: 0,
    });
  });

  it("reads Cloudflare's per-invocation caps as whole numbers, 0 meaning no cap", () => {
    expect(parseFaultSpec("d1_queries_per_invocation=1000 kv_operations_per_invocation=0")).toEqual({ ...NO_FAULTS, d1QueriesPerInvocation: 1000 });
  });

  it("refuses a cap that is negative, fractional or not a number", () => {
    for (const entry of ["d1_queries_per_invocation=-1", "kv_operations_per_invocation=2.5", "d1_queries_per_invocation=many", "kv_operations_per_invocation="]) {
      expect(() => parseFaultSpec(entry), entry).toThrow(/must be a whole number ≥ 0/);
    }
  });

  it("injects nothing when empty or unset", () => {
    expect(parseFaultSpec("")).toEqual(NO_FAULTS);
    expect(parseFaultSpec(undefined)).toEqual(NO_FAULTS);
    expect(parseFaultSpec(" , ")).toEqual(NO_FAULTS);
  });

  it("refuses an unknown name, naming it and the names it knows", () => {
    expect(() => parseFaultSpec("d1_error_rat=0.1")).toThrow(FaultSpecError);
    expect(() => parseFaultSpec("d1_error_rat=0.1")).toThrow(/unknown entry "d1_error_rat=0.1".*kv_stale_seconds=N/);
  });

  it("refuses a name every object has, such as constructor or __proto__, as unknown", () => {
    for (const entry of ["constructor=0.5", "toString=1", "__proto__=0", "hasOwnProperty=0.1"]) {
      expect(() => parseFaultSpec(entry), entry).toThrow(/unknown entry/);
    }
  });

  it("refuses a rate outside 0–1 or not a number", () => {
    for (const entry of ["d1_error_rate=1.5", "kv_error_rate=-0.1", "queue_error_rate=often", "r2_error_rate=", "r2_error_rate"]) {
      expect(() => parseFaultSpec(entry), entry).toThrow(/must be a share from 0 to 1/);
    }
  });

  it("refuses a negative or non-numeric staleness", () => {
    for (const entry of ["kv_stale_seconds=-1", "kv_stale_seconds=soon", "kv_stale_seconds=Infinity"]) {
      expect(() => parseFaultSpec(entry), entry).toThrow(/kv_stale_seconds must be a number of seconds/);
    }
  });
});

describe("which calls fail", () => {
  it("fails a call whose draw is below the rate, and counts it under its kind", () => {
    const faults = new FaultInjector({ ...NO_FAULTS, d1ErrorRate: 0.25 }, sequence(0.1, 0.3, 0.24, 0.25));
    expect([faults.fails("d1_error"), faults.fails("d1_error"), faults.fails("d1_error"), faults.fails("d1_error")]).toEqual([true, false, true, false]);
    expect(faults.injected).toEqual({ kv_stale: 0, d1_error: 2, queue_error: 0, r2_error: 0, kv_error: 0 });
  });

  it("never fails a kind whose rate is 0, whatever the draw", () => {
    const faults = new FaultInjector({ ...NO_FAULTS, d1ErrorRate: 1 }, sequence(0));
    expect(faults.fails("queue_error")).toBe(false);
    expect(faults.fails("kv_error")).toBe(false);
    expect(faults.fails("r2_error")).toBe(false);
    expect(faults.fails("d1_error")).toBe(true);
  });

  it("fails about the asked share of many calls with a real random source", () => {
    const faults = new FaultInjector({ ...NO_FAULTS, r2ErrorRate: 0.3 });
    const failed = Array.from({ length: 4000 }, () => faults.fails("r2_error")).filter(Boolean).length;
    expect(failed / 4000).toBeGreaterThan(0.25);
    expect(failed / 4000).toBeLessThan(0.35);
    expect(faults.injected.r2_error).toBe(failed);
  });
});

describe("KV reads lagging writes", () => {
  it("shows the value from before a write until the window has passed, then the new one", () => {
    let now = 1_000_000;
    const lag = new KvLag(30_000, () => now);
    lag.recordWrite("k", "new", "old");
    expect(lag.laggingRead("k")).toEqual({ value: "old" });
    now += 29_999;
    expect(lag.laggingRead("k")).toEqual({ value: "old" });
    now += 1;
    expect(lag.laggingRead("k")).toBeUndefined();
  });

  it("shows nothing for a key that held nothing before its first write", () => {
    const lag = new KvLag(30_000, () => 0);
    lag.recordWrite("k", "created");
    expect(lag.laggingRead("k")).toEqual({ value: null });
  });

  it("shows the newest value older than the window when writes follow each other", () => {
    let now = 0;
    const lag = new KvLag(10_000, () => now);
    lag.recordWrite("k", "v1", null);
    now = 20_000;
    lag.recordWrite("k", "v2");
    now = 25_000;
    lag.recordWrite("k", "v3");
    expect(lag.laggingRead("k")).toEqual({ value: "v1" });
    now = 31_000;
    expect(lag.laggingRead("k")).toEqual({ value: "v2" });
  });

  it("shows a deleted key as it was until the delete is visible", () => {
    let now = 0;
    const lag = new KvLag(10_000, () => now);
    lag.recordWrite("k", null, "secret");
    expect(lag.laggingRead("k")).toEqual({ value: "secret" });
    now = 10_000;
    expect(lag.laggingRead("k")).toBeUndefined();
  });

  it("never lags a key it has not seen written, nor with a window of 0", () => {
    expect(new KvLag(10_000, () => 0).laggingRead("k")).toBeUndefined();
    const none = new KvLag(0, () => 0);
    none.recordWrite("k", "v", "before");
    expect(none.laggingRead("k")).toBeUndefined();
  });

  it("forgets the key written longest ago past its bound, whose reads are then fresh", () => {
    const lag = new KvLag(10_000, () => 0, 2);
    lag.recordWrite("a", "1");
    lag.recordWrite("b", "1");
    lag.recordWrite("c", "1");
    expect(lag.knows("a")).toBe(false);
    expect(lag.laggingRead("a")).toBeUndefined();
    expect(lag.laggingRead("c")).toEqual({ value: null });
  });
});

describe("where fault injection is honoured", () => {
  it("only when ALLOW_FAULT_INJECTION is exactly \"true\"", () => {
    expect(faultInjectionAllowed({ ALLOW_FAULT_INJECTION: "true" }, "development")).toBe(true);
    for (const value of [undefined, "false", "TRUE", "1", "yes"]) expect(faultInjectionAllowed({ ALLOW_FAULT_INJECTION: value }, "development")).toBe(false);
  });

  it("never in code wrangler bundled for Cloudflare's network, even with the var set", () => {
    expect(faultInjectionAllowed({ ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "d1_error_rate=1" }, "production")).toBe(false);
  });

  it("in the vitest plugin's runtime, where nothing sets the bundle mode", () => {
    expect(faultInjectionAllowed({ ALLOW_FAULT_INJECTION: "true" }, undefined)).toBe(true);
  });
});

describe("transient platform errors (503, never 500)", () => {
  it("include what KV, Queues and R2 throw when overloaded or unavailable", () => {
    for (const message of [
      "KV PUT failed: 429 Too Many Requests",
      "KV GET failed: 503 Service Unavailable",
      "Queue send failed: Too Many Requests",
      "Queue sendBatch failed: Queue is overloaded. Please back off.",
      "put: We encountered an internal error. Please try again. (10001)",
      "get: Reduce your concurrent request rate for the same object. (10058)",
      "D1_ERROR: D1 DB is overloaded. Requests queued for too long.",
      "D1_ERROR: Network connection lost.",
    ]) {
      expect(isTransientPlatformError(new Error(message)), message).toBe(true);
    }
  });

  it("exclude errors about the request or the code", () => {
    for (const message of ["KV PUT failed: 413 Value too large", "Queue send failed: message too large", "D1_ERROR: no such table: x", "boom"]) {
      expect(isTransientPlatformError(new Error(message)), message).toBe(false);
    }
  });
});
