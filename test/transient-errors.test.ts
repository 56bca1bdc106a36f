import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { bucket, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { flakyDatabases } from "./support/flaky-d1";
import { callWorker } from "./security/support";
import { deliveryRow, enqueueHeld, SLOW_LANE } from "./support/worker";
import { shardOf } from "./support/shards";
import { withDatabases } from "../src/shards";
import { R2_PAYLOAD_THRESHOLD_BYTES } from "../src/limits";

const BUSY = "D1_ERROR: database is locked: SQLITE_BUSY";
const OVERLOADED = "D1_ERROR: D1 DB is overloaded. Too many requests queued.";
const CONNECTION_LOST = "D1_ERROR: Network connection lost.";
const RESET = "D1_ERROR: D1 DB reset because its code was updated.";

/** The Worker's env with D1 bindings (control and shards) that fail statements matching `pattern`, `times` times in all. */
function flakyEnv(pattern: RegExp, message: string, times: number) {
  return flakyDatabases(env, { pattern, message, times });
}

// Silenced console methods come back before the next test, and before the next file in this runtime.
afterEach(() => vi.restoreAllMocks());

describe("kind: a transient storage failure is retried once where safe, and otherwise answers 503, never 500", () => {
  it("a read refused as busy once is run again and the request succeeds", async () => {
    const { id } = await newTenant();
    const flaky = flakyEnv(/FROM tenants/, BUSY, 1);

    const res = await callWorker(flaky.env, "GET", `/v1/tenants/${id}`);

    expect(res.status).toBe(200);
    expect(res.body.id).toBe(id);
  });

  it("a read interrupted by a D1 reset once is run again and the request succeeds", async () => {
    const { id } = await newTenant();
    const flaky = flakyEnv(/FROM tenants/, RESET, 1);

    expect((await callWorker(flaky.env, "GET", `/v1/tenants/${id}`)).status).toBe(200);
  });

  it("a write refused by an overloaded D1 once is run again: the endpoint is created, once", async () => {
    const { id } = await newTenant();
    const flaky = flakyEnv(/INSERT INTO endpoints/, OVERLOADED, 1);

    const res = await callWorker(flaky.env, "POST", `/v1/tenants/${id}/endpoints`, { body: { url: "https://example.com/hook" } });

    expect(res.status).toBe(201);
    expect(await (await shardOf(id)).prepare("SELECT count(*) AS n FROM endpoints WHERE tenant_id = ?").bind(id).first("n")).toBe(1);
  });

  it("a write cut off by a lost connection is not run again (it may have been applied): 503 with Retry-After", async () => {
    const flaky = flakyEnv(/INSERT INTO tenants/, CONNECTION_LOST, 1);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);

    const res = await callWorker(flaky.env, "POST", "/v1/tenants", { body: { name: "Cut off" } });

    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("temporarily_unavailable");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(flaky.state.runs).toBe(1);
  });

  it("an enqueue whose batch was applied but whose answer was lost is 503 with Retry-After, stored once, and the same Idempotency-Key then returns it", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: "https://example.com/hook" });
    const appliedThenLost = (db: D1Database) => new Proxy(db, {
      get(target, property) {
        if (property === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            await target.batch(statements);
            throw new Error(CONNECTION_LOST);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const request = { body: { event: "x", payload: 1 }, headers: { "idempotency-key": "cut-off" } };

    const cut = await callWorker(withDatabases(env, appliedThenLost), "POST", `/v1/tenants/${id}/messages`, request);
    const again = await callWorker(env, "POST", `/v1/tenants/${id}/messages`, request);

    expect(cut.status).toBe(503);
    expect(cut.body.error.code).toBe("temporarily_unavailable");
    expect(Number(cut.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await (await shardOf(id)).prepare("SELECT count(*) AS n FROM messages WHERE tenant_id = ?").bind(id).first("n")).toBe(1);
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("a database that stays locked answers 503 temporarily_unavailable with Retry-After, not 500 internal_error", async () => {
    const { id } = await newTenant();
    const flaky = flakyEnv(/./, BUSY, Infinity);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);

    const res = await callWorker(flaky.env, "GET", `/v1/tenants/${id}/endpoints`);

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: "temporarily_unavailable", message: expect.any(String) } });
    expect(res.headers.get("retry-after")).toBe("1");
  });

  it("a dashboard page that meets a database that stays locked answers its 503 page with Retry-After", async () => {
    const flaky = flakyEnv(/./, BUSY, Infinity);
    const res = await callWorker(flaky.env, "GET", "/dashboard/deliveries", { token: null, headers: { cookie: "__Host-edgehook_session=any" } });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
  });

  it("a consumer batch whose results meet a busy D1 records them on the second try, so nothing is sent twice", async () => {
    const { id } = await newTenant();
    const name = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const { message, tasks } = await enqueueHeld(id, { event: "x", payload: 1 });
    const flaky = flakyEnv(/UPDATE deliveries SET status = r.status/, BUSY, 1);
    const batch = createMessageBatch(SLOW_LANE, [{ id: "busy-1", timestamp: new Date(), attempts: 1, body: tasks[0] }]);

    await worker.queue(batch, flaky.env);

    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toEqual(["busy-1"]);
    expect(await deliveryRow(message.deliveries[0]!.id)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await received(name)).toHaveLength(1);
  });
});

describe("kind: R2 failing a payload's write or read answers 503 with Retry-After, never 500", () => {
  /** The Worker's env with a PAYLOADS bucket whose every call fails as R2 does on an internal error. */
  const failingR2 = (): Env => {
    const fail = async () => {
      throw new Error("We encountered an internal error. Please try again. (10001)");
    };
    return { ...env, PAYLOADS: { put: fail, get: fail, head: fail, delete: fail, list: fail } as unknown as R2Bucket };
  };
  const largePayload = () => ({ blob: Array.from(crypto.getRandomValues(new Uint8Array(3 * R2_PAYLOAD_THRESHOLD_BYTES)), (b) => b % 10).join("") });

  it("an enqueue whose large payload R2 cannot store is a 503 and stores nothing", async () => {
    const { id } = await newTenant();
    vi.spyOn(console, "warn").mockImplementation(() => undefined);

    const res = await callWorker(failingR2(), "POST", `/v1/tenants/${id}/messages`, { body: { event: "x", payload: largePayload(), webhook_url: "https://example.com/hook" } });

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: "temporarily_unavailable", message: expect.any(String) } });
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await (await shardOf(id)).prepare("SELECT count(*) AS n FROM messages WHERE tenant_id = ?").bind(id).first("n")).toBe(0);
  });

  it("polling a message whose payload R2 cannot read is a 503, and the same poll succeeds once R2 answers", async () => {
    const { id } = await newTenant();
    const payload = largePayload();
    const { message } = await enqueueHeld(id, { event: "x", payload, webhook_url: "https://example.com/hook" });
    vi.spyOn(console, "warn").mockImplementation(() => undefined);

    const failed = await callWorker(failingR2(), "GET", `/v1/tenants/${id}/messages/${message.id}`);
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toBe("1");

    expect((await callWorker(env, "GET", `/v1/tenants/${id}/messages/${message.id}`)).body).toMatchObject({ payload });
  });
});
