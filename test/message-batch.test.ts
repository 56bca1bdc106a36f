import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_TARGETS_PER_MESSAGE } from "../src/lib/ids";
import { R2_PAYLOAD_THRESHOLD_BYTES } from "../src/limits";
import { enqueueBatch } from "../src/ops/enqueue";
import { payloadKey } from "../src/payloads";
import { callWorker } from "./security/support";
import { api, apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { apiHeld } from "./support/worker";
import { rowsOnShards, shardIndexOf, shardOf } from "./support/shards";

const batchPath = (t: string) => `/v1/tenants/${t}/messages/batch`;

// Silenced console methods come back before the next test, and before the next file in this runtime.
afterEach(() => vi.restoreAllMocks());

const count = rowsOnShards;
/** A payload that compresses to more than R2_PAYLOAD_THRESHOLD_BYTES, so it is stored in R2. */
const largePayload = () => ({ blob: Array.from(crypto.getRandomValues(new Uint8Array(3 * R2_PAYLOAD_THRESHOLD_BYTES)), (b) => b % 10).join("") });
/** The keys of the R2 payload objects a tenant has. */
const objects = async (tenantId: string) => (await env.PAYLOADS.list({ prefix: `payloads/${tenantId}/` })).objects.map((o) => o.key).sort();

/** Sends a batch through the real API with the queue held back; returns the status, body and queue messages. */
async function batchHeld(tenantId: string, messages: unknown[]) {
  const { res, tasks } = await apiHeld("POST", batchPath(tenantId), { messages });
  return { status: res.status, body: (await res.json()) as any, tasks };
}

describe("batch enqueue", () => {
  it("a full batch of 100 messages answers 202 with one single-enqueue response per message, in order", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://e.com/a" });
    const items = Array.from({ length: 100 }, (_, i) => ({ event: `invoice.${i}`, payload: { n: i } }));
    const { status, body, tasks } = await batchHeld(id, items);
    expect(status).toBe(202);
    expect(body.messages).toHaveLength(100);
    body.messages.forEach((m: any, i: number) => {
      expect(m).toEqual({ id: expect.any(String), event: `invoice.${i}`, source: null, created_at: expect.any(String), deliveries: [{ id: expect.any(String), endpoint_id: endpoint.id, status: "pending" }] });
    });
    expect(new Set(body.messages.map((m: any) => m.id)).size).toBe(100);
    expect(await count("messages", id)).toBe(100);
    expect(await count("deliveries", id)).toBe(100);
    const queued = tasks.flatMap((t: any) => (t.deliveries ?? [t]).map((d: any) => d.delivery_id)).sort();
    expect(queued).toEqual(body.messages.map((m: any) => m.deliveries[0].id).sort());
  });

  it("each message of a batch can be polled like one enqueued alone", async () => {
    const { id } = await newTenant();
    const { body } = await batchHeld(id, [
      { event: "a", payload: [1], source: "model-a" },
      { event: "b", payload: "two", webhook_url: "https://e.com/once" },
    ]);
    const second = await apiJson("GET", `/v1/tenants/${id}/messages/${body.messages[1].id}`);
    expect(second.body).toMatchObject({ event: "b", payload: "two", deliveries: [{ id: body.messages[1].deliveries[0].id, endpoint_id: null, url: "https://e.com/once" }] });
    const first = await apiJson("GET", `/v1/tenants/${id}/messages/${body.messages[0].id}`);
    expect(first.body).toMatchObject({ event: "a", source: "model-a", payload: [1], deliveries: [] });
  });

  it("one invalid message is a 400 naming it, and nothing of the batch is stored", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: "https://e.com/a" });
    const items: unknown[] = [0, 1, 2, 3, 4].map((i) => ({ event: "x", payload: i }));
    items[3] = { payload: 3 };
    const { status, body, tasks } = await batchHeld(id, items);
    expect(status).toBe(400);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.issues.map((i: any) => i.path)).toEqual(["messages.3.event"]);
    expect(await count("messages", id)).toBe(0);
    expect(tasks).toEqual([]);
  });

  it.each([
    ["no messages", { messages: [] }, "messages"],
    ["more than 100 messages", { messages: Array.from({ length: 101 }, () => ({ event: "x", payload: 1 })) }, "messages"],
    ["an unknown field in a message", { messages: [{ event: "x", payload: 1, extra: true }] }, "messages.0"],
    ["an idempotency_key repeated inside the batch", { messages: [{ event: "x", payload: 1, idempotency_key: "k" }, { event: "y", payload: 2, idempotency_key: "k" }] }, "messages.1.idempotency_key"],
  ])("%s is a 400", async (_, requestBody, path) => {
    const { id } = await newTenant();
    const res = await apiJson("POST", batchPath(id), { body: requestBody });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: any) => i.path)).toContain(path);
  });

  it("an unknown endpoint id is a 404 naming its message, and nothing of the batch is stored", async () => {
    const { id } = await newTenant();
    const known = await newEndpoint(id, { url: "https://e.com/a" });
    const unknown = crypto.randomUUID();
    const { status, body, tasks } = await batchHeld(id, [
      { event: "x", payload: 1, endpoint_ids: [known.id] },
      { event: "x", payload: 2 },
      { event: "x", payload: 3, endpoint_ids: [known.id, unknown] },
    ]);
    expect(status).toBe(404);
    expect(body.error.code).toBe("endpoint_not_found");
    expect(body.error.issues).toEqual([{ path: "messages.2.endpoint_ids.1", message: `No endpoint ${unknown} in this tenant` }]);
    expect(await count("messages", id)).toBe(0);
    expect(await count("deliveries", id)).toBe(0);
    expect(tasks).toEqual([]);
  });

  it("a batch for an unknown tenant is a 404", async () => {
    const res = await apiJson("POST", batchPath(`nobody-${bucket()}`), { body: { messages: [{ event: "x", payload: 1 }] } });
    expect(res.status).toBe(404);
  });

  it("a message whose idempotency_key replays an earlier enqueue returns that response marked replayed, and the others are stored", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: "https://e.com/a" });
    const single = await apiJson("POST", `/v1/tenants/${id}/messages`, { body: { event: "x", payload: { n: 1 } }, headers: { "idempotency-key": "first" } });
    const { status, body } = await batchHeld(id, [
      { event: "y", payload: 2, idempotency_key: "second" },
      { event: "x", payload: { n: 1 }, idempotency_key: "first" },
      { event: "z", payload: 3 },
    ]);
    expect(status).toBe(202);
    expect(body.messages[1]).toEqual({ ...single.body, replayed: true });
    expect(body.messages[0].replayed).toBeUndefined();
    expect(body.messages.map((m: any) => m.event)).toEqual(["y", "x", "z"]);
    expect(await count("messages", id)).toBe(3);
  });

  it("sending the same batch again replays every keyed message and stores nothing new", async () => {
    const { id } = await newTenant();
    const items = [{ event: "a", payload: 1, idempotency_key: "a" }, { event: "b", payload: 2, idempotency_key: "b" }];
    const first = await batchHeld(id, items);
    const again = await batchHeld(id, items);
    expect(again.status).toBe(202);
    expect(again.body.messages).toEqual(first.body.messages.map((m: any) => ({ ...m, replayed: true })));
    expect(again.tasks).toEqual([]);
    expect(await count("messages", id)).toBe(2);
  });

  it("an idempotency_key reused with a different message is a 422 naming it, and nothing of the batch is stored", async () => {
    const { id } = await newTenant();
    await batchHeld(id, [{ event: "a", payload: 1, idempotency_key: "k" }]);
    const { status, body } = await batchHeld(id, [{ event: "b", payload: 2 }, { event: "a", payload: 99, idempotency_key: "k" }]);
    expect(status).toBe(422);
    expect(body.error.issues).toEqual([{ path: "messages.1.idempotency_key", message: "used with a different request" }]);
    expect(await count("messages", id)).toBe(1);
  });

  it("every payload of a batch reaches its receiver and polling byte for byte, as sent", async () => {
    const { id } = await newTenant();
    const name = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const payloads = ['{"order_id":9123456789654321123,"huge":1e400,"neg":-0}', '[1.0, 2.50,\n "caf\\u00e9"]', '"\\ud83d\\ude00"'];
    const res = await apiJson("POST", batchPath(id), { rawBody: `{"messages":[${payloads.map((p, i) => `{"event":"e${i}", "payload": ${p} }`).join(",")}]}` });
    expect(res.status).toBe(202);
    const requests = await eventually(async () => (await received(name)).length === 3 && received(name));
    expect(requests.map((r) => r.body).sort()).toEqual([...payloads].sort());
    for (const [i, m] of res.body.messages.entries()) {
      expect(await (await api("GET", `/v1/tenants/${id}/messages/${m.id}`)).text()).toContain(`"payload":${payloads[i]},`);
    }
  });

  it("a payload over the limit is a 413 naming its message, and nothing is stored", async () => {
    const { id } = await newTenant();
    const { status, body } = await batchHeld(id, [{ event: "x", payload: 1 }, { event: "x", payload: "a".repeat(256 * 1024 + 1) }]);
    expect(status).toBe(413);
    expect(body.error.code).toBe("payload_too_large");
    expect(body.error.issues.map((i: any) => i.path)).toEqual(["messages.1.payload"]);
    expect(await count("messages", id)).toBe(0);
  });

  it("a batch body over 1 MiB is a 413, while one just under it is accepted", async () => {
    const { id } = await newTenant();
    const item = (size: number) => ({ event: "x", payload: "a".repeat(size) });
    const over = await apiJson("POST", batchPath(id), { body: { messages: Array.from({ length: 5 }, () => item(220 * 1024)) } });
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe("payload_too_large");
    const under = await apiJson("POST", batchPath(id), { body: { messages: Array.from({ length: 4 }, () => item(250 * 1024)) } });
    expect(under.status).toBe(202);
    expect(await count("messages", id)).toBe(4);
  });

  it("the deliveries of a batch are queued with their shard", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: "https://e.com/a" });
    const { tasks } = await batchHeld(id, [{ event: "x", payload: 1 }]);
    expect(tasks).toEqual([expect.objectContaining({ tenant_id: id, shard: await shardIndexOf(id) })]);
  });

  it("a refused batch leaves no payload in R2: an unknown endpoint id, an idempotency key reused with another message", async () => {
    const { id } = await newTenant();
    const first = await apiJson("POST", batchPath(id), { body: { messages: [{ event: "x", payload: 1, idempotency_key: "k" }] } });
    expect(first.status).toBe(202);

    const unknownTarget = await apiJson("POST", batchPath(id), {
      body: { messages: [{ event: "x", payload: largePayload() }, { event: "x", payload: 2, endpoint_ids: [crypto.randomUUID()] }] },
    });
    expect(unknownTarget.status).toBe(404);
    const reusedKey = await apiJson("POST", batchPath(id), {
      body: { messages: [{ event: "x", payload: largePayload() }, { event: "x", payload: 99, idempotency_key: "k" }] },
    });
    expect(reusedKey.status).toBe(422);

    expect(await count("messages", id)).toBe(1);
    expect(await objects(id)).toEqual([]);
  });

  it("a batch mixing replayed and new messages with large payloads keeps exactly one R2 object per stored message", async () => {
    const { id } = await newTenant();
    const replayed = { event: "x", payload: largePayload(), idempotency_key: "first" };
    const first = await apiJson("POST", batchPath(id), { body: { messages: [replayed] } });

    const { status, body } = await batchHeld(id, [replayed, { event: "y", payload: largePayload() }]);

    expect(status).toBe(202);
    expect(body.messages[0]).toEqual({ ...first.body.messages[0], replayed: true });
    expect(await objects(id)).toEqual([payloadKey(id, first.body.messages[0].id), payloadKey(id, body.messages[1].id)].sort());
  });

  it("when R2 refuses one payload of a batch, the batch is a 503 and the objects written for the others are deleted", async () => {
    const { id } = await newTenant();
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    let puts = 0;
    const flakyR2 = {
      put: async (key: string, value: Uint8Array) => {
        if (++puts === 2) throw new Error("We encountered an internal error. Please try again. (10001)");
        return env.PAYLOADS.put(key, value);
      },
      delete: (keys: string | string[]) => env.PAYLOADS.delete(keys),
    } as unknown as R2Bucket;

    const res = await callWorker({ ...env, PAYLOADS: flakyR2 }, "POST", batchPath(id), {
      body: { messages: [1, 2, 3].map(() => ({ event: "x", payload: largePayload() })) },
    });

    expect(res.status).toBe(503);
    expect(await count("messages", id)).toBe(0);
    expect(await objects(id)).toEqual([]);
  });

  it("a batch whose message would reach more endpoints than a delivery id can number (65,535) is a 422 and stores nothing", async () => {
    const { id } = await newTenant();
    // 65,536 endpoints take every event, one more only "rare"; written straight to the shard, as the API would take 65,537 requests.
    // Their ids end in this test's own digits, as endpoint ids are unique across the shard's tenants.
    const suffix = crypto.randomUUID().slice(-12);
    await (await shardOf(id))
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${MAX_TARGETS_PER_MESSAGE + 2})
         INSERT INTO endpoints (id, tenant_id, url, signature, retry, timeout_ms, events, created_at, updated_at)
         SELECT printf('%08x-0000-4000-8000-%s', i, ?2), ?1, 'https://example.com/hook', '{"scheme":"standard"}', '{}', 1000,
                CASE WHEN i = 1 THEN '["rare"]' ELSE '[]' END, i, i FROM n`,
      )
      .bind(id, suffix)
      .run();

    const { status, body, tasks } = await batchHeld(id, [
      { event: "rare", payload: 1, endpoint_ids: [`00000001-0000-4000-8000-${suffix}`] },
      { event: "common", payload: 2 },
    ]);

    expect(status).toBe(422);
    expect(body.error.code).toBe("too_many_targets");
    expect(await count("messages", id)).toBe(0);
    expect(await count("deliveries", id)).toBe(0);
    expect(tasks).toEqual([]);
  }, 60_000);

  it("concurrent batches of one tenant in the same millisecond are all stored: row-key clashes retry on later milliseconds, never a 500", async () => {
    const { id } = await newTenant();
    const now = Date.now();
    const messages = Array.from({ length: 100 }, (_, i) => ({ tenantId: id, event: "x", payload: String(i), value: i, source: null }));

    // A batch takes 100 of a millisecond's 128 row keys, so any two of these clash at first.
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => enqueueBatch(env, id, messages, now)));

    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(await count("messages", id)).toBe(800);
  });
});
