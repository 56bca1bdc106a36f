import { describe, expect, it } from "vitest";
import { apiJson, newEndpoint, newTenant } from "./support/api";
import { rowsOnShards } from "./support/shards";
import { apiHeld } from "./support/worker";

const batchPath = (t: string) => `/v1/tenants/${t}/messages/batch`;

/** Sends a batch through the real API with the queue held back, under Idempotency-Key `key` when given. */
async function sendBatch(tenantId: string, messages: unknown[], key?: string) {
  const { res, tasks } = await apiHeld("POST", batchPath(tenantId), { messages }, { headers: key ? { "idempotency-key": key } : {} });
  return { status: res.status, replayedHeader: res.headers.get("idempotent-replayed"), body: (await res.json()) as any, tasks };
}

/** A tenant with one endpoint that takes every event, so each message has one delivery. */
async function tenantWithEndpoint() {
  const tenant = await newTenant();
  await newEndpoint(tenant.id, { url: "https://example.com/hook" });
  return tenant;
}

const items = [
  { event: "invoice.issued", payload: { invoice: 1 } },
  { event: "invoice.issued", payload: { invoice: 2 }, source: "billing" },
];

describe("kind: the Idempotency-Key header of a batch covers the whole batch for 24 h", () => {
  it("the same batch under the same key returns the first response, marked Idempotent-Replayed, and stores and queues nothing new", async () => {
    const { id } = await tenantWithEndpoint();
    const first = await sendBatch(id, items, "run-2026-11");

    const again = await sendBatch(id, items, "run-2026-11");

    expect(first.status).toBe(202);
    expect(first.replayedHeader).toBeNull();
    expect(again.status).toBe(202);
    expect(again.replayedHeader).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(again.tasks).toEqual([]);
    expect(await rowsOnShards("messages", id)).toBe(2);
    expect(await rowsOnShards("deliveries", id)).toBe(2);
  });

  it("another batch under the same key is a 422 idempotency_key_reused, and nothing of it is stored", async () => {
    const { id } = await tenantWithEndpoint();
    await sendBatch(id, items, "run-2026-11");

    const other = await sendBatch(id, [...items, { event: "invoice.issued", payload: { invoice: 3 } }], "run-2026-11");

    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency_key_reused");
    expect(other.tasks).toEqual([]);
    expect(await rowsOnShards("messages", id)).toBe(2);
  });

  it("a batch differing only in a number that parses alike is another batch: 422", async () => {
    const { id } = await newTenant();
    const send = (n: string) =>
      apiJson("POST", batchPath(id), { headers: { "idempotency-key": "exact" }, rawBody: `{"messages":[{"event":"x","payload":${n}}]}` });
    expect((await send("9123456789654321123")).status).toBe(202);

    const other = await send("9123456789654321124");

    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency_key_reused");
  });

  it("identical batches sent at once under one key store one batch: every answer is its response, all but one replayed", async () => {
    const { id } = await tenantWithEndpoint();

    const answers = await Promise.all(Array.from({ length: 6 }, () => sendBatch(id, items, "at-once")));

    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(202));
    const stored = answers.filter((a) => a.replayedHeader === null);
    expect(stored).toHaveLength(1);
    for (const a of answers) expect(a.body).toEqual(stored[0]!.body);
    const queued = answers.flatMap((a) => a.tasks).flatMap((t: any) => (t.deliveries ?? [t]).map((d: any) => d.delivery_id));
    expect(queued.sort()).toEqual(stored[0]!.body.messages.map((m: any) => m.deliveries[0].id).sort());
    expect(await rowsOnShards("messages", id)).toBe(2);
  });

  it("keys are per tenant: another tenant's batch under the same key is stored as its own", async () => {
    const a = await tenantWithEndpoint();
    const b = await tenantWithEndpoint();
    const first = await sendBatch(a.id, items, "shared-key");

    const other = await sendBatch(b.id, items, "shared-key");

    expect(other.status).toBe(202);
    expect(other.replayedHeader).toBeNull();
    expect(other.body.messages.map((m: any) => m.id)).not.toEqual(first.body.messages.map((m: any) => m.id));
    expect(await rowsOnShards("messages", b.id)).toBe(2);
  });

  it("the replay repeats the first response's own per-message replayed marks", async () => {
    const { id } = await tenantWithEndpoint();
    const single = await apiJson("POST", `/v1/tenants/${id}/messages`, { headers: { "idempotency-key": "inv-1" }, body: items[0] });
    const mixed = [{ ...items[0], idempotency_key: "inv-1" }, items[1]];
    const first = await sendBatch(id, mixed, "run-with-items");

    const again = await sendBatch(id, mixed, "run-with-items");

    expect(first.body.messages[0]).toEqual({ ...single.body, replayed: true });
    expect(again.replayedHeader).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await rowsOnShards("messages", id)).toBe(2);
  });

  it("a batch whose every message replays by its own key still sets the header's key, so another batch under it is a 422", async () => {
    const { id } = await newTenant();
    const keyed = [{ event: "a", payload: 1, idempotency_key: "a-1" }];
    await sendBatch(id, keyed);
    const first = await sendBatch(id, keyed, "all-replayed");

    const again = await sendBatch(id, keyed, "all-replayed");
    const other = await sendBatch(id, [{ event: "b", payload: 2 }], "all-replayed");

    expect(first.replayedHeader).toBeNull();
    expect(first.body.messages[0].replayed).toBe(true);
    expect(again.replayedHeader).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(other.status).toBe(422);
  });

  it("the key of a single enqueue and of a batch are one namespace: a batch under a single enqueue's key is a 422", async () => {
    const { id } = await newTenant();
    await apiJson("POST", `/v1/tenants/${id}/messages`, { headers: { "idempotency-key": "k" }, body: items[0] });

    const batch = await sendBatch(id, [items[0]], "k");
    const single = await apiJson("POST", `/v1/tenants/${id}/messages`, { headers: { "idempotency-key": "b" }, body: items[0] });
    await sendBatch(id, [items[0]], "b2");
    const singleUnderBatchKey = await apiJson("POST", `/v1/tenants/${id}/messages`, { headers: { "idempotency-key": "b2" }, body: items[0] });

    expect(batch.status).toBe(422);
    expect(batch.body.error.code).toBe("idempotency_key_reused");
    expect(single.status).toBe(202);
    expect(singleUnderBatchKey.status).toBe(422);
    expect(singleUnderBatchKey.body.error.code).toBe("idempotency_key_reused");
  });

  it("an item's idempotency_key equal to the header's key is a 400 naming the item, and nothing is stored", async () => {
    const { id } = await newTenant();

    const res = await sendBatch(id, [items[0], { ...items[1], idempotency_key: "same" }], "same");

    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: "messages.1.idempotency_key", message: expect.stringContaining("Idempotency-Key header") }]);
    expect(await rowsOnShards("messages", id)).toBe(0);
  });

  it("an Idempotency-Key header that is not printable ASCII is a 400 naming the header", async () => {
    const { id } = await newTenant();

    const res = await sendBatch(id, items, "has space");

    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error.issues)).toContain("idempotency-key");
  });
});
