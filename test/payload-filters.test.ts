import { describe, expect, it } from "vitest";
import { apiJson, newEndpoint, newTenant } from "./support/api";
import { rowsOnShards } from "./support/shards";
import { apiHeld } from "./support/worker";

const endpoints = (t: string, rest = "") => `/v1/tenants/${t}/endpoints${rest}`;

/** Enqueues one message with the queue held back; returns the endpoint ids it got deliveries for. */
async function fanOut(tenantId: string, message: Record<string, unknown>): Promise<string[]> {
  const { res } = await apiHeld("POST", `/v1/tenants/${tenantId}/messages`, message);
  const body = (await res.json()) as any;
  if (res.status !== 202) throw new Error(`enqueue: ${res.status} ${JSON.stringify(body)}`);
  return body.deliveries.map((d: any) => d.endpoint_id).sort();
}

describe("payload filters on endpoints", () => {
  it("an endpoint created with a filter returns it, and one without has filter null", async () => {
    const { id } = await newTenant();
    const filter = { "customer.plan": { $in: ["pro", "enterprise"] }, $not: { amount: { $lt: 100 } } };
    const filtered = await newEndpoint(id, { url: "https://e.com/a", filter });
    const plain = await newEndpoint(id, { url: "https://e.com/b" });
    expect(filtered.filter).toEqual(filter);
    expect(plain.filter).toBeNull();
    expect((await apiJson("GET", endpoints(id, `/${filtered.id}`))).body.filter).toEqual(filter);
  });

  it("an unknown operator is a 400 whose issue names its path in filter, and nothing is stored", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", endpoints(id), { body: { url: "https://e.com/a", filter: { $or: [{ amount: { $greater: 1 } }] } } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: "filter.$or.0.amount.$greater", message: expect.stringContaining("not a known operator") }]);
    expect(await rowsOnShards("endpoints", id)).toBe(0);
  });

  it("an operand of the wrong kind is a 400 naming the operator's path", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", endpoints(id), { body: { url: "https://e.com/a", filter: { "customer.email": { $endsWith: 7 } } } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: "filter.customer.email.$endsWith", message: "must be a string" }]);
  });

  it("a filter that is not an object is a 400 naming filter", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", endpoints(id), { body: { url: "https://e.com/a", filter: ["amount"] } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: any) => i.path)).toEqual(["filter"]);
  });

  it("a filter whose path is __proto__ is kept as sent and fans out only the payloads that have that key", async () => {
    const { id } = await newTenant();
    const created = await apiJson("POST", endpoints(id), {
      rawBody: '{"url":"https://e.com/a","filter":{"__proto__":{"$eq":"admin"}}}',
      headers: { "content-type": "application/json" },
    });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body.filter)).toBe('{"__proto__":{"$eq":"admin"}}');
    const fanOutOf = async (payloadText: string) => {
      const { res } = await apiHeld("POST", `/v1/tenants/${id}/messages`, JSON.parse(`{"event":"x","payload":${payloadText}}`));
      return ((await res.json()) as any).deliveries.map((d: any) => d.endpoint_id);
    };
    expect(await fanOutOf('{"role":"user"}')).toEqual([]);
    expect(await fanOutOf('{"__proto__":"admin"}')).toEqual([created.body.id]);
  });

  it("PATCH sets a filter, and null clears it", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://e.com/a" });
    const set = await apiJson("PATCH", endpoints(id, `/${endpoint.id}`), { body: { filter: { kind: "invoice" } } });
    expect(set.body.filter).toEqual({ kind: "invoice" });
    const cleared = await apiJson("PATCH", endpoints(id, `/${endpoint.id}`), { body: { filter: null } });
    expect(cleared.body.filter).toBeNull();
  });

  it("a PATCH that leaves filter out keeps the stored filter", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://e.com/a", filter: { kind: "invoice" } });
    const renamed = await apiJson("PATCH", endpoints(id, `/${endpoint.id}`), { body: { name: "Invoices" } });
    expect(renamed.body.filter).toEqual({ kind: "invoice" });
  });

  it("a PATCH with an invalid filter is a 400 and leaves the stored filter as it was", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://e.com/a", filter: { kind: "invoice" } });
    const res = await apiJson("PATCH", endpoints(id, `/${endpoint.id}`), { body: { filter: { kind: { $exists: "yes" } } } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: "filter.kind.$exists", message: "must be true or false" }]);
    expect((await apiJson("GET", endpoints(id, `/${endpoint.id}`))).body.filter).toEqual({ kind: "invoice" });
  });
});

describe("payload filters at fan-out", () => {
  it("a single enqueue creates deliveries only for endpoints whose filter the payload passes", async () => {
    const { id } = await newTenant();
    const big = await newEndpoint(id, { url: "https://e.com/big", filter: { amount: { $gte: 100 } } });
    await newEndpoint(id, { url: "https://e.com/small", filter: { amount: { $lt: 100 } } });
    const all = await newEndpoint(id, { url: "https://e.com/all" });
    expect(await fanOut(id, { event: "invoice.paid", payload: { amount: 250 } })).toEqual([big.id, all.id].sort());
    expect(await rowsOnShards("deliveries", id)).toBe(2);
  });

  it("a batch enqueue fans each message out only to the endpoints its own payload passes", async () => {
    const { id } = await newTenant();
    const pro = await newEndpoint(id, { url: "https://e.com/pro", filter: { "customer.plan": "pro" } });
    const free = await newEndpoint(id, { url: "https://e.com/free", filter: { "customer.plan": "free" } });
    const { res } = await apiHeld("POST", `/v1/tenants/${id}/messages/batch`, {
      messages: [
        { event: "signup", payload: { customer: { plan: "pro" } } },
        { event: "signup", payload: { customer: { plan: "free" } } },
        { event: "signup", payload: { customer: { plan: "team" } } },
      ],
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body.messages.map((m: any) => m.deliveries.map((d: any) => d.endpoint_id))).toEqual([[pro.id], [free.id], []]);
    expect(await rowsOnShards("deliveries", id)).toBe(2);
  });

  it("a filter combines with events and source: an endpoint gets the message only when all three match", async () => {
    const { id } = await newTenant();
    const filter = { status: "failed" };
    const match = await newEndpoint(id, { url: "https://e.com/1", events: ["job.*"], source: "ocr", filter });
    await newEndpoint(id, { url: "https://e.com/2", events: ["invoice.*"], source: "ocr", filter });
    await newEndpoint(id, { url: "https://e.com/3", events: ["job.*"], source: "vision", filter });
    await newEndpoint(id, { url: "https://e.com/4", events: ["job.*"], source: "ocr", filter: { status: "done" } });
    expect(await fanOut(id, { event: "job.finished", source: "ocr", payload: { status: "failed" } })).toEqual([match.id]);
  });

  it("comparisons never convert types: a string amount does not pass a numeric bound", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: "https://e.com/a", filter: { amount: { $gte: 100 } } });
    await newEndpoint(id, { url: "https://e.com/b", filter: { amount: 1000 } });
    expect(await fanOut(id, { event: "x", payload: { amount: "1000" } })).toEqual([]);
  });

  it("a filter changed by PATCH applies to the very next enqueue", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://e.com/a", filter: { kind: "a" } });
    expect(await fanOut(id, { event: "x", payload: { kind: "b" } })).toEqual([]);
    await apiJson("PATCH", endpoints(id, `/${endpoint.id}`), { body: { filter: { kind: "b" } } });
    expect(await fanOut(id, { event: "x", payload: { kind: "b" } })).toEqual([endpoint.id]);
    await apiJson("PATCH", endpoints(id, `/${endpoint.id}`), { body: { filter: null } });
    expect(await fanOut(id, { event: "x", payload: { kind: "z" } })).toEqual([endpoint.id]);
  });

  it("a tenant deleted and created again under the same id fans out by its new endpoints' filters", async () => {
    const id = `reborn-${crypto.randomUUID().slice(0, 8)}`;
    expect((await apiJson("POST", "/v1/tenants", { body: { name: "First", id } })).status).toBe(201);
    await newEndpoint(id, { url: "https://e.com/old", filter: { kind: "a" } });
    expect(await fanOut(id, { event: "x", payload: { kind: "b" } })).toEqual([]);
    expect((await apiJson("DELETE", `/v1/tenants/${id}`)).status).toBe(204);
    expect((await apiJson("POST", "/v1/tenants", { body: { name: "Second", id } })).status).toBe(201);
    const reborn = await newEndpoint(id, { url: "https://e.com/new", filter: { kind: "b" } });
    expect(await fanOut(id, { event: "x", payload: { kind: "b" } })).toEqual([reborn.id]);
  });

  it("a message sent to explicit endpoint_ids reaches them whatever their filters say", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://e.com/a", filter: { kind: "a" } });
    expect(await fanOut(id, { event: "x", payload: { kind: "b" }, endpoint_ids: [endpoint.id] })).toEqual([endpoint.id]);
  });

  it("a payload that is not an object passes only filters that need nothing of it", async () => {
    const { id } = await newTenant();
    const needs = await newEndpoint(id, { url: "https://e.com/a", filter: { kind: { $exists: false } } });
    await newEndpoint(id, { url: "https://e.com/b", filter: { kind: "a" } });
    expect(await fanOut(id, { event: "x", payload: [1, 2, 3] })).toEqual([needs.id]);
  });
});
