import { describe, expect, it } from "vitest";
import { decompressText } from "../src/lib/compression";
import { MAX_TARGETS_PER_MESSAGE } from "../src/lib/ids";
import { apiJson, bucket, newEndpoint, newTenant, receiverUrl, tick } from "./support/api";
import { enqueueHeld } from "./support/worker";
import { rowsOnShards, shardIndexOf, shardOf } from "./support/shards";

const messages = (t: string) => `/v1/tenants/${t}/messages`;
const count = rowsOnShards;
const targets = (m: { deliveries: Array<{ endpoint_id: string | null }> }) => m.deliveries.map((d) => d.endpoint_id).sort();

describe("enqueue and fan-out", () => {
  it("a message goes to every enabled endpoint whose events match, including wildcards", async () => {
    const { id } = await newTenant();
    const all = await newEndpoint(id, { url: "https://e.com/all" });
    const star = await newEndpoint(id, { url: "https://e.com/star", events: ["*"] });
    const prefix = await newEndpoint(id, { url: "https://e.com/prefix", events: ["document.*"] });
    const exact = await newEndpoint(id, { url: "https://e.com/exact", events: ["document.predicted"] });
    await newEndpoint(id, { url: "https://e.com/other", events: ["job.*", "document.failed"] });
    await newEndpoint(id, { url: "https://e.com/off", enabled: false });
    const { message } = await enqueueHeld(id, { event: "document.predicted", payload: {} });
    expect(targets(message)).toEqual([all.id, star.id, prefix.id, exact.id].sort());
  });

  it("a prefix pattern does not treat '_' or '%' in event names as wildcards", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: "https://e.com/a", events: ["a_b.*"] });
    const { message } = await enqueueHeld(id, { event: "axb.created", payload: {} });
    expect(message.deliveries).toEqual([]);
  });

  it("an endpoint with a source only gets messages from that source; one without gets all", async () => {
    const { id } = await newTenant();
    const any = await newEndpoint(id, { url: "https://e.com/any" });
    const modelA = await newEndpoint(id, { url: "https://e.com/a", source: "model-a" });
    await newEndpoint(id, { url: "https://e.com/b", source: "model-b" });
    expect(targets((await enqueueHeld(id, { event: "x", payload: 1, source: "model-a" })).message)).toEqual([any.id, modelA.id].sort());
    expect(targets((await enqueueHeld(id, { event: "x", payload: 1 })).message)).toEqual([any.id]);
  });

  it("explicit endpoint_ids override matching, even for events the endpoint does not list", async () => {
    const { id } = await newTenant();
    const a = await newEndpoint(id, { url: "https://e.com/a", events: ["other"] });
    await newEndpoint(id, { url: "https://e.com/b" });
    const { message } = await enqueueHeld(id, { event: "x", payload: 1, endpoint_ids: [a.id] });
    expect(targets(message)).toEqual([a.id]);
  });

  it("a webhook_url adds a one-off delivery with no endpoint", async () => {
    const { id } = await newTenant();
    const a = await newEndpoint(id, { url: "https://e.com/a" });
    const { message } = await enqueueHeld(id, { event: "x", payload: 1, webhook_url: "https://e.com/once" });
    expect(targets(message)).toEqual([a.id, null].sort());
    const oneOff = await (await shardOf(id)).prepare("SELECT webhook_url FROM messages WHERE id = ? AND targets ->> '$[#-1]' = ''").bind(message.id).first("webhook_url");
    expect(oneOff).toBe("https://e.com/once");
  });

  it("the 202 lists each delivery as pending and D1 holds the message and its deliveries", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: "https://e.com/a" });
    const { message, tasks } = await enqueueHeld(id, { event: "document.predicted", payload: { a: 1 }, source: "m" });
    expect(message).toMatchObject({ event: "document.predicted", source: "m", created_at: expect.any(String) });
    expect(message.deliveries).toEqual([{ id: expect.any(String), endpoint_id: expect.any(String), status: "pending" }]);
    expect(tasks).toEqual([{ delivery_id: message.deliveries[0]!.id, tenant_id: id, endpoint_id: message.deliveries[0]!.endpoint_id, token: expect.any(String), shard: await shardIndexOf(id) }]);
    const stored = await (await shardOf(id)).prepare("SELECT payload FROM messages WHERE id = ?").bind(message.id).first<number[]>("payload");
    expect(decompressText(stored!)).toBe('{"a":1}');
  });

  it("an unknown endpoint id is a 404 and nothing is stored", async () => {
    const { id } = await newTenant();
    const a = await newEndpoint(id, { url: "https://e.com/a" });
    const missing = crypto.randomUUID();
    const res = await apiJson("POST", messages(id), { body: { event: "x", payload: 1, endpoint_ids: [a.id, missing] } });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: "endpoint_not_found", issues: [{ path: "endpoint_ids.1", message: "not found" }] });
    expect(await count("messages", id)).toBe(0);
    expect(await count("deliveries", id)).toBe(0);
  });

  it("another tenant's endpoint id is a 404 too", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const theirs = await newEndpoint(b.id, { url: "https://e.com/b" });
    const res = await apiJson("POST", messages(a.id), { token: a.key, body: { event: "x", payload: 1, endpoint_ids: [theirs.id] } });
    expect(res.status).toBe(404);
  });

  it("an unknown endpoint id stores no Idempotency-Key, so the corrected request goes through", async () => {
    const { id } = await newTenant();
    const a = await newEndpoint(id, { url: "https://e.com/a" });
    const headers = { "idempotency-key": "fix-me" };
    const wrong = await apiJson("POST", messages(id), { body: { event: "x", payload: 1, endpoint_ids: [crypto.randomUUID()] }, headers });
    expect(wrong.status).toBe(404);
    const right = await apiJson("POST", messages(id), { body: { event: "x", payload: 1, endpoint_ids: [a.id] }, headers });
    expect(right.status).toBe(202);
    expect(right.headers.get("idempotent-replayed")).toBeNull();
  });

  it("enqueueing to an unknown tenant is a 404 and stores nothing, not even a one-off delivery or a key", async () => {
    const tenantId = `missing-${crypto.randomUUID()}`;
    const res = await apiJson("POST", messages(tenantId), {
      body: { event: "x", payload: 1, webhook_url: `${receiverUrl()}/ok/${bucket()}` },
      headers: { "idempotency-key": "k" },
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
    expect(await count("messages", tenantId)).toBe(0);
    expect(await count("deliveries", tenantId)).toBe(0);
    expect(await count("idempotency_keys", tenantId)).toBe(0);
  });

  it("explicit endpoint ids for an unknown tenant are a 404 for the tenant", async () => {
    const res = await apiJson("POST", messages(`missing-${crypto.randomUUID()}`), {
      body: { event: "x", payload: 1, endpoint_ids: [crypto.randomUUID()] },
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });

  it("the same Idempotency-Key returns the first response and stores nothing new", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const request = { body: { event: "x", payload: { n: 1 } }, headers: { "idempotency-key": "order-42" } };
    const first = await apiJson("POST", messages(id), request);
    const again = await apiJson("POST", messages(id), request);
    expect(first.status).toBe(202);
    expect(first.body.deliveries).toHaveLength(2);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await count("messages", id)).toBe(1);
    expect(await count("deliveries", id)).toBe(2);
  });

  it("reusing an Idempotency-Key with a different request is a 422", async () => {
    const { id } = await newTenant();
    const headers = { "idempotency-key": "k-1" };
    await apiJson("POST", messages(id), { body: { event: "x", payload: 1 }, headers });
    const res = await apiJson("POST", messages(id), { body: { event: "x", payload: 2 }, headers });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("idempotency_key_reused");
    expect(await count("messages", id)).toBe(1);
  });

  it("Idempotency-Keys are per tenant", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const headers = { "idempotency-key": "shared" };
    const ra = await apiJson("POST", messages(a.id), { body: { event: "x", payload: 1 }, headers });
    const rb = await apiJson("POST", messages(b.id), { body: { event: "x", payload: 1 }, headers });
    expect(rb.body.id).not.toBe(ra.body.id);
  });

  it("a message reaching more targets than a delivery id can number (65,535) is a 422 and stores nothing; 65,535 go through", async () => {
    const { id } = await newTenant();
    // Endpoints written straight to the shard: the API would take 65,535 requests to make them. Their
    // ids end in this test's own digits, as endpoint ids are unique across the shard's tenants.
    await (await shardOf(id))
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${MAX_TARGETS_PER_MESSAGE})
         INSERT INTO endpoints (id, tenant_id, url, signature, retry, timeout_ms, created_at, updated_at)
         SELECT printf('%08x-0000-4000-8000-%s', i, ?2), ?1, 'https://example.com/hook', '{"scheme":"standard"}', '{}', 1000, i, i FROM n`,
      )
      .bind(id, crypto.randomUUID().slice(-12))
      .run();

    const over = await apiJson("POST", messages(id), { body: { event: "x", payload: 1, webhook_url: "https://example.com/one-off" } });
    expect(over).toMatchObject({ status: 422, body: { error: { code: "too_many_targets" } } });
    expect(await count("messages", id)).toBe(0);
    expect(await count("deliveries", id)).toBe(0);

    const { message } = await enqueueHeld(id, { event: "x", payload: 1 });
    expect(message.deliveries).toHaveLength(MAX_TARGETS_PER_MESSAGE);
    expect(message.deliveries.map((d) => d.id).sort().at(-1)).toBe(`${message.id.slice(0, 32)}ffff`);
  });

  it("a payload over the limit is a 413 and nothing is stored", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", messages(id), { body: { event: "x", payload: "a".repeat(256 * 1024 + 1) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
    expect(await count("messages", id)).toBe(0);
  });

  it("a body far over the limit is cut off before parsing with a 413", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", messages(id), { body: { event: "x", payload: "a".repeat(400 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
  });

  it.each([
    ["no event", { payload: 1 }, "event"],
    ["no payload", { event: "x" }, "payload"],
    ["an event with spaces", { event: "a b", payload: 1 }, "event"],
    ["an empty endpoint_ids list", { event: "x", payload: 1, endpoint_ids: [] }, "endpoint_ids"],
    ["a malformed endpoint id", { event: "x", payload: 1, endpoint_ids: ["nope"] }, "endpoint_ids.0"],
    ["duplicate endpoint ids", { event: "x", payload: 1, endpoint_ids: [crypto.randomUUID(), "00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000000"] }, "endpoint_ids"],
    ["a webhook_url that is not a URL", { event: "x", payload: 1, webhook_url: "nope" }, "webhook_url"],
    ["an unknown field", { event: "x", payload: 1, priority: "high" }, "(root)"],
  ])("enqueueing with %s is a 400 naming the field", async (_, body, field) => {
    const { id } = await newTenant();
    const res = await apiJson("POST", messages(id), { body });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(field);
    expect(await count("messages", id)).toBe(0);
  });
});

describe("polling messages", () => {
  it("a message shows its payload and each delivery's state", async () => {
    const { id, key } = await newTenant();
    const a = await newEndpoint(id, { url: "https://e.com/a" });
    const { message } = await enqueueHeld(id, { event: "document.predicted", payload: { doc: "d1" } });
    const res = await apiJson("GET", `${messages(id)}/${message.id}`, { token: key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: message.id, event: "document.predicted", source: null, payload: { doc: "d1" } });
    expect(res.body.deliveries).toEqual([
      expect.objectContaining({ endpoint_id: a.id, status: "pending", attempt_count: 0, next_attempt_at: null, last_status_code: null }),
    ]);
  });

  it("another tenant's message is a 404", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const { message } = await enqueueHeld(b.id, { event: "x", payload: 1 });
    expect((await apiJson("GET", `${messages(a.id)}/${message.id}`, { token: a.key })).status).toBe(404);
  });

  it("messages are listed newest first, with a cursor", async () => {
    const { id } = await newTenant();
    for (const n of [1, 2, 3]) {
      await enqueueHeld(id, { event: `e${n}`, payload: n });
      await tick();
    }
    const first = await apiJson("GET", `${messages(id)}?limit=2`);
    expect(first.body.data.map((m: { event: string }) => m.event)).toEqual(["e3", "e2"]);
    const second = await apiJson("GET", `${messages(id)}?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((m: { event: string }) => m.event)).toEqual(["e1"]);
  });
});
