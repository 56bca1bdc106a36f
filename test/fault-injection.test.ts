import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isTransientD1Error } from "../src/db/transient";
import { faultyD1, faultyKv, faultyQueue, faultyR2 } from "../src/faults/bindings";
import { FaultInjector } from "../src/faults/injector";
import { InvocationCaps } from "../src/faults/invocation-caps";
import { builtLocally, faultInjectionAllowed } from "../src/faults/env";
import { NO_FAULTS, type FaultSpec } from "../src/faults/spec";
import { isTransientPlatformError } from "../src/platform-errors";
import { cronWith, fetchWith } from "./support/worker";

/** An injector with `spec` over NO_FAULTS whose draws are `draws` in turn (then 0.99: no fault), on a clock the test moves. */
function injector(spec: Partial<FaultSpec>, draws: number[] = []) {
  const clock = { now: Date.now() };
  const queue = [...draws];
  const faults = new FaultInjector({ ...NO_FAULTS, ...spec }, () => queue.shift() ?? 0.99, () => clock.now);
  return { faults, clock };
}

afterEach(() => vi.unstubAllEnvs());

describe("D1 under injected faults", () => {
  it("a failing statement throws what an overloaded D1 throws, unrun, and the retry layer sees it as transient", async () => {
    const key = `fault-${crypto.randomUUID()}`;
    // draws: fail (0), refused (0)
    const { faults } = injector({ d1ErrorRate: 0.5 }, [0, 0]);
    const db = faultyD1(env.DB, faults);
    const error = await db.prepare("INSERT INTO tenants (id, name, created_at, shard) VALUES (?, 'x', 0, 0)").bind(key).run().catch((e: unknown) => e);
    expect((error as Error).message).toBe("D1_ERROR: D1 DB is overloaded. Requests queued for too long.");
    expect(isTransientD1Error(error)).toBe(true);
    expect(await env.DB.prepare("SELECT id FROM tenants WHERE id = ?").bind(key).first()).toBeNull();
    expect(faults.injected.d1_error).toBe(1);
  });

  it("a lost connection may have run the statement before it throws", async () => {
    const key = `fault-${crypto.randomUUID()}`;
    // draws: fail (0), interrupted (0.9), ran first (0.9)
    const { faults } = injector({ d1ErrorRate: 0.5 }, [0, 0.9, 0.9]);
    const db = faultyD1(env.DB, faults);
    const error = await db.prepare("INSERT INTO tenants (id, name, created_at, shard) VALUES (?, 'x', 0, 0)").bind(key).run().catch((e: unknown) => e);
    expect((error as Error).message).toBe("D1_ERROR: Network connection lost.");
    expect(isTransientD1Error(error)).toBe(true);
    expect(await env.DB.prepare("SELECT id FROM tenants WHERE id = ?").bind(key).first()).toEqual({ id: key });
    await env.DB.prepare("DELETE FROM tenants WHERE id = ?").bind(key).run();
  });

  it("a batch of wrapped statements fails as one call, and runs on the real database when no fault is drawn", async () => {
    const { faults } = injector({ d1ErrorRate: 0.5 }, [0, 0]);
    const db = faultyD1(env.DB, faults);
    const statements = [db.prepare("SELECT 1 AS one"), db.prepare("SELECT ? AS two").bind(2)];
    await expect(db.batch(statements)).rejects.toThrow(/D1 DB is overloaded/);
    const results = await db.batch(statements);
    expect(results.map((r) => r.results)).toEqual([[{ one: 1 }], [{ two: 2 }]]);
    expect(await db.prepare("SELECT 3 AS three").first("three")).toBe(3);
    expect(await db.prepare("SELECT 4 AS four").raw()).toEqual([[4]]);
  });
});

describe("Cloudflare's per-invocation caps", () => {
  it("the D1 query past d1_queries_per_invocation throws what Cloudflare throws, unrun, and is not retried as transient", async () => {
    const { faults } = injector({ d1QueriesPerInvocation: 2 });
    const db = faultyD1(env.DB, faults, new InvocationCaps(faults));
    expect(await db.prepare("SELECT 1 AS one").first("one")).toBe(1);
    expect(await db.prepare("SELECT 2 AS two").first("two")).toBe(2);
    const error = await db.prepare("SELECT 3 AS three").first().catch((e: unknown) => e);
    expect((error as Error).message).toBe("Too many API requests by single Worker invocation.");
    expect(isTransientD1Error(error)).toBe(false);
    expect(faults.injected.d1_error).toBe(1);
  });

  it("a D1 batch counts each of its statements", async () => {
    const { faults } = injector({ d1QueriesPerInvocation: 3 });
    const db = faultyD1(env.DB, faults, new InvocationCaps(faults));
    await db.batch([db.prepare("SELECT 1"), db.prepare("SELECT 2")]);
    await expect(db.batch([db.prepare("SELECT 3"), db.prepare("SELECT 4")])).rejects.toThrow("Too many API requests by single Worker invocation.");
  });

  it("the KV operation past kv_operations_per_invocation throws, whether a read, a write, a delete or a list", async () => {
    const key = `cap-${crypto.randomUUID()}`;
    const { faults } = injector({ kvOperationsPerInvocation: 3 });
    const kv = faultyKv(env.SECRETS, faults, new InvocationCaps(faults));
    await kv.put(key, "v");
    expect(await kv.get(key)).toBe("v");
    await kv.list({ prefix: key });
    await expect(kv.delete(key)).rejects.toThrow("Too many API requests by single Worker invocation.");
    expect(await env.SECRETS.get(key)).toBe("v");
    expect(faults.injected.kv_error).toBe(1);
    await env.SECRETS.delete(key);
  });

  it("each invocation of the Worker starts with its own count", async () => {
    const vars = { ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "d1_queries_per_invocation=2" };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetchWith(vars, "GET", "/v1/tenants?limit=1")).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
  });

  it("a request that needs more queries than its cap answers internal_error, without internals", async () => {
    const vars = { ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "d1_queries_per_invocation=1" };
    const res = await fetchWith(vars, "POST", "/v1/tenants", { name: "capped" });
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ error: { code: "internal_error" } });
    expect(body).not.toContain("Too many API requests");
  });
});

describe("Queues, R2 and KV under injected faults", () => {
  it("a failing send or sendBatch throws what an overloaded queue throws, and is transient", async () => {
    // draws: fail (0), pick "Too Many Requests" (0); fail (0), pick overloaded (0.9)
    const { faults } = injector({ queueErrorRate: 0.5 }, [0, 0, 0, 0.9]);
    const queue = faultyQueue(env.SLOW_DELIVERIES, faults);
    const first = await queue.send({ probe: true }).catch((e: unknown) => e);
    const second = await queue.sendBatch([{ body: { probe: true } }]).catch((e: unknown) => e);
    expect((first as Error).message).toBe("Queue send failed: Too Many Requests");
    expect((second as Error).message).toBe("Queue sendBatch failed: Queue is overloaded. Please back off.");
    expect([first, second].every(isTransientPlatformError)).toBe(true);
    expect(faults.injected.queue_error).toBe(2);
  });

  it("a failing R2 put writes nothing and throws what R2 throws; an unfailed one writes", async () => {
    const key = `fault-test/${crypto.randomUUID()}`;
    const { faults } = injector({ r2ErrorRate: 0.5 }, [0, 0]);
    const bucket = faultyR2(env.PAYLOADS, faults);
    const error = await bucket.put(key, "payload").catch((e: unknown) => e);
    expect((error as Error).message).toBe("put: We encountered an internal error. Please try again. (10001)");
    expect(isTransientPlatformError(error)).toBe(true);
    expect(await env.PAYLOADS.head(key)).toBeNull();
    await bucket.put(key, "payload");
    expect(await (await bucket.get(key))!.text()).toBe("payload");
    await bucket.delete(key);
  });

  it("a failing KV write throws KV's 429 and changes nothing", async () => {
    const key = `fault-test:${crypto.randomUUID()}`;
    const { faults } = injector({ kvErrorRate: 0.5 }, [0]);
    const kv = faultyKv(env.SECRETS, faults);
    const error = await kv.put(key, "v").catch((e: unknown) => e);
    expect((error as Error).message).toBe("KV PUT failed: 429 Too Many Requests");
    expect(isTransientPlatformError(error)).toBe(true);
    expect(await env.SECRETS.get(key)).toBeNull();
  });

  it("a KV read within kv_stale_seconds of a write sees the value from before it, then the new one", async () => {
    const key = `fault-test:${crypto.randomUUID()}`;
    await env.SECRETS.put(key, "old");
    const { faults, clock } = injector({ kvStaleSeconds: 30 });
    const kv = faultyKv(env.SECRETS, faults);
    await kv.put(key, "new");
    expect(await env.SECRETS.get(key)).toBe("new");
    expect(await kv.get(key)).toBe("old");
    expect(await kv.get(key, "json").catch(() => "not json")).toBe("not json");
    expect((await kv.getWithMetadata(key)).value).toBe("old");
    clock.now += 30_000;
    expect(await kv.get(key)).toBe("new");
    expect(faults.injected.kv_stale).toBe(3);
  });

  it("a key created within kv_stale_seconds reads as missing, as in a location that has not seen it", async () => {
    const key = `fault-test:${crypto.randomUUID()}`;
    const { faults } = injector({ kvStaleSeconds: 30 });
    const kv = faultyKv(env.SECRETS, faults);
    await kv.put(key, JSON.stringify({ a: 1 }));
    expect(await kv.get(key)).toBeNull();
    expect(await kv.get(key, { type: "json" })).toBeNull();
  });
});

describe("the Worker with fault injection", () => {
  it("GET /__faults counts what was injected, per kind", async () => {
    const vars = { ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "d1_error_rate=1" };
    const before = await (await fetchWith(vars, "GET", "/__faults")).json<{ injected: Record<string, number> }>();
    expect(Object.keys(before.injected).sort()).toEqual(["d1_error", "kv_error", "kv_stale", "queue_error", "r2_error"]);
    const failed = await fetchWith(vars, "GET", "/v1/tenants");
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toBe("1");
    const after = await (await fetchWith(vars, "GET", "/__faults")).json<{ injected: Record<string, number> }>();
    expect(after.injected.d1_error).toBeGreaterThan(before.injected.d1_error!);
  });

  it("ignores EDGEHOOK_FAULTS without ALLOW_FAULT_INJECTION=true, and has no /__faults", async () => {
    const vars = { EDGEHOOK_FAULTS: "d1_error_rate=1" };
    expect((await fetchWith(vars, "GET", "/v1/tenants")).status).toBe(200);
    expect((await fetchWith(vars, "GET", "/__faults")).status).toBe(404);
  });

  it("ignores EDGEHOOK_FAULTS and has no /__faults when bundled for Cloudflare's network, even with ALLOW_FAULT_INJECTION=true", async () => {
    vi.stubEnv("NODE_ENV", "production");
    const vars = { ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "d1_error_rate=1 kv_error_rate=1" };
    expect((await fetchWith(vars, "GET", "/v1/tenants")).status).toBe(200);
    const faults = await fetchWith(vars, "GET", "/__faults");
    expect(faults.status).toBe(404);
    expect((await faults.json<{ error: { code: string } }>()).error.code).toBe("not_found");
  });

  it("ignores EDGEHOOK_FAULTS when the bundle was not built by a local launcher, whatever NODE_ENV says", () => {
    const vars = { ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "d1_error_rate=1" };
    expect(faultInjectionAllowed(vars, "development", false)).toBe(false);
    expect(faultInjectionAllowed(vars, undefined, false)).toBe(false);
    expect(faultInjectionAllowed(vars, "development", true)).toBe(true);
  });

  it("is running in a bundle the test config marks as a local build", () => {
    expect(builtLocally()).toBe(true);
  });

  it("runs the cron sweeper on the faulty bindings too, so a run whose D1 fails names the shards it could not sweep", async () => {
    const at = Date.now();
    await expect(cronWith({ ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "d1_error_rate=1" }, at)).rejects.toThrow("sweep failed on data shard(s) 0, 1");
    await expect(cronWith({}, at)).resolves.toBeUndefined();
  });

  it("answers an EDGEHOOK_FAULTS it cannot read with an error that names the entry", async () => {
    const res = await fetchWith({ ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "d1_eror_rate=0.1" }, "GET", "/health");
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: "invalid_fault_spec", message: expect.stringContaining('unknown entry "d1_eror_rate=0.1"') } });
  });
});
