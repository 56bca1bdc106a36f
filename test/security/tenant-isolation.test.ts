import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, apiJson, bucket, newEndpoint, newTenant, received, receiverUrl } from "../support/api";
import { callWorker, tenantRows } from "./support";
import { holdingQueue, consume } from "../support/worker";

/**
 * Tenant A (its API key, or the admin token acting in A's path) must not read, change, replay or
 * learn anything about tenant B's resources: every route answers 404, exactly as for an id that
 * does not exist, and afterwards B's rows, secrets and receiver are as they were.
 */

interface World {
  a: { id: string; key: string; endpoint: string };
  b: { id: string; key: string; keyId: string; endpoint: string; message: string; delivery: string; bucket: string };
}

type Route = [name: string, method: string, path: (w: World) => string, body?: (w: World) => unknown];

const T = (w: World, who: "a" | "b") => `/v1/tenants/${w[who].id}`;

/** Every tenant-scoped route, addressed to B's tenant and B's resources. */
const routesInB: Route[] = [
  ["get the tenant", "GET", (w) => T(w, "b")],
  ["delete the tenant", "DELETE", (w) => T(w, "b")],
  ["create an API key", "POST", (w) => `${T(w, "b")}/api-keys`, () => ({})],
  ["list API keys", "GET", (w) => `${T(w, "b")}/api-keys`],
  ["revoke an API key", "DELETE", (w) => `${T(w, "b")}/api-keys/${w.b.keyId}`],
  ["read the tenant secret", "GET", (w) => `${T(w, "b")}/secret`],
  ["rotate the tenant secret", "POST", (w) => `${T(w, "b")}/secret/rotate`, () => ({})],
  ["create an endpoint", "POST", (w) => `${T(w, "b")}/endpoints`, () => ({ url: "https://example.com/a" })],
  ["list endpoints", "GET", (w) => `${T(w, "b")}/endpoints`],
  ["read an endpoint", "GET", (w) => `${T(w, "b")}/endpoints/${w.b.endpoint}`],
  ["change an endpoint", "PATCH", (w) => `${T(w, "b")}/endpoints/${w.b.endpoint}`, () => ({ url: "https://example.com/stolen" })],
  ["delete an endpoint", "DELETE", (w) => `${T(w, "b")}/endpoints/${w.b.endpoint}`],
  ["read an endpoint secret", "GET", (w) => `${T(w, "b")}/endpoints/${w.b.endpoint}/secret`],
  ["rotate an endpoint secret", "POST", (w) => `${T(w, "b")}/endpoints/${w.b.endpoint}/secret/rotate`, () => ({})],
  ["send a test message", "POST", (w) => `${T(w, "b")}/endpoints/${w.b.endpoint}/test`],
  ["recover failed deliveries", "POST", (w) => `${T(w, "b")}/endpoints/${w.b.endpoint}/recover`, () => ({ since: "2000-01-01T00:00:00Z" })],
  ["enqueue a message", "POST", (w) => `${T(w, "b")}/messages`, () => ({ event: "a.b", payload: {} })],
  ["list messages", "GET", (w) => `${T(w, "b")}/messages`],
  ["read a message", "GET", (w) => `${T(w, "b")}/messages/${w.b.message}`],
  ["list deliveries", "GET", (w) => `${T(w, "b")}/deliveries`],
  ["read a delivery and its attempts", "GET", (w) => `${T(w, "b")}/deliveries/${w.b.delivery}`],
  ["replay a delivery", "POST", (w) => `${T(w, "b")}/deliveries/${w.b.delivery}/retry`],
];

/** The routes that take a resource id, addressed through A's own tenant path with B's ids. */
const routesWithBIdsInA: Array<[...Route, code: string]> = [
  ["read B's endpoint", "GET", (w) => `${T(w, "a")}/endpoints/${w.b.endpoint}`, undefined, "not_found"],
  ["change B's endpoint", "PATCH", (w) => `${T(w, "a")}/endpoints/${w.b.endpoint}`, () => ({ url: "https://example.com/stolen" }), "not_found"],
  ["change B's endpoint headers", "PATCH", (w) => `${T(w, "a")}/endpoints/${w.b.endpoint}`, () => ({ headers: { "X-A": "1" } }), "not_found"],
  ["delete B's endpoint", "DELETE", (w) => `${T(w, "a")}/endpoints/${w.b.endpoint}`, undefined, "not_found"],
  ["read B's endpoint secret", "GET", (w) => `${T(w, "a")}/endpoints/${w.b.endpoint}/secret`, undefined, "not_found"],
  ["rotate B's endpoint secret", "POST", (w) => `${T(w, "a")}/endpoints/${w.b.endpoint}/secret/rotate`, () => ({}), "not_found"],
  ["send a test message to B's endpoint", "POST", (w) => `${T(w, "a")}/endpoints/${w.b.endpoint}/test`, undefined, "not_found"],
  ["recover B's failed deliveries", "POST", (w) => `${T(w, "a")}/endpoints/${w.b.endpoint}/recover`, () => ({ since: "2000-01-01T00:00:00Z" }), "not_found"],
  ["enqueue to B's endpoint", "POST", (w) => `${T(w, "a")}/messages`, (w) => ({ event: "a.b", payload: {}, endpoint_ids: [w.b.endpoint] }), "endpoint_not_found"],
  ["read B's message", "GET", (w) => `${T(w, "a")}/messages/${w.b.message}`, undefined, "not_found"],
  ["read B's delivery and its attempts", "GET", (w) => `${T(w, "a")}/deliveries/${w.b.delivery}`, undefined, "not_found"],
  ["replay B's delivery", "POST", (w) => `${T(w, "a")}/deliveries/${w.b.delivery}/retry`, undefined, "not_found"],
];

describe("tenant isolation on every route", () => {
  const world = {} as World;
  const capture = holdingQueue();
  const isolatedEnv = { ...env, DELIVERIES: capture.queue } as Env;
  let before: { rows: Awaited<ReturnType<typeof tenantRows>>; secret: unknown; tenantSecret: unknown };

  const asB = (path: string) => callWorker(isolatedEnv, "GET", path, { token: world.b.key });

  beforeAll(async () => {
    const a = await newTenant();
    const b = await newTenant();
    const name = bucket();
    const endpointA = await newEndpoint(a.id, { url: "https://example.com/a" });
    const endpointB = await newEndpoint(b.id, { url: `${receiverUrl()}/status/500/${name}`, retry: { max_attempts: 1 } });
    const keys = await apiJson("GET", `/v1/tenants/${b.id}/api-keys`);
    const sent = await callWorker({ ...env, DELIVERIES: capture.queue } as Env, "POST", `/v1/tenants/${b.id}/messages`, {
      token: b.key,
      body: { event: "a.b", payload: { for: "b" }, endpoint_ids: [endpointB.id] },
    });
    await consume(capture.sent.splice(0), { env: env });
    Object.assign(world, {
      a: { id: a.id, key: a.key, endpoint: endpointA.id },
      b: { id: b.id, key: b.key, keyId: keys.body.data[0].id, endpoint: endpointB.id, message: sent.body.id, delivery: sent.body.deliveries[0].id, bucket: name },
    });
    before = {
      rows: await tenantRows(b.id),
      secret: (await asB(`/v1/tenants/${b.id}/endpoints/${endpointB.id}/secret`)).body,
      tenantSecret: (await asB(`/v1/tenants/${b.id}/secret`)).body,
    };
    expect(before.rows.deliveries).toMatchObject([{ status: "failed" }]);
    expect(await received(name)).toHaveLength(1);
  });

  it.each(routesInB)("A's key cannot %s in B's tenant (404)", async (_name, method, path, body) => {
    const res = await callWorker(isolatedEnv, method, path(world), { token: world.a.key, body: body?.(world) });
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 404, code: "not_found" });
  });

  it.each(routesWithBIdsInA)("A's key cannot %s through A's own path (404)", async (_name, method, path, body, code) => {
    const res = await callWorker(isolatedEnv, method, path(world), { token: world.a.key, body: body?.(world) });
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 404, code });
  });

  it.each(routesWithBIdsInA)("the admin token cannot %s through A's path either (404)", async (_name, method, path, body, code) => {
    const res = await callWorker(isolatedEnv, method, path(world), { token: ADMIN, body: body?.(world) });
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 404, code });
  });

  it("the admin token cannot revoke B's API key through A's path (404), and B's key keeps working", async () => {
    const res = await callWorker(isolatedEnv, "DELETE", `${T(world, "a")}/api-keys/${world.b.keyId}`, { token: ADMIN });
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 404, code: "not_found" });
    expect((await asB(`${T(world, "b")}/endpoints`)).status).toBe(200);
  });

  it.each([
    ["deliveries filtered by B's endpoint", (w: World) => `${T(w, "a")}/deliveries?endpoint_id=${w.b.endpoint}`],
    ["deliveries filtered by B's message", (w: World) => `${T(w, "a")}/deliveries?message_id=${w.b.message}`],
    ["deliveries", (w: World) => `${T(w, "a")}/deliveries`],
    ["messages", (w: World) => `${T(w, "a")}/messages`],
  ])("A's list of %s shows nothing of B's", async (_name, path) => {
    const res = await callWorker(isolatedEnv, "GET", path(world), { token: world.a.key });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
  });

  it("A's endpoint list holds only A's endpoint", async () => {
    const res = await callWorker(isolatedEnv, "GET", `${T(world, "a")}/endpoints`, { token: world.a.key });
    expect(res.body.data.map((e: { id: string }) => e.id)).toEqual([world.a.endpoint]);
  });

  it("afterwards B's rows, secrets and receiver are exactly as they were, and nothing was queued", async () => {
    expect(await tenantRows(world.b.id)).toEqual(before.rows);
    expect((await asB(`/v1/tenants/${world.b.id}/endpoints/${world.b.endpoint}/secret`)).body).toEqual(before.secret);
    expect((await asB(`/v1/tenants/${world.b.id}/secret`)).body).toEqual(before.tenantSecret);
    expect(capture.sent).toEqual([]);
    expect(await received(world.b.bucket)).toHaveLength(1);
  });
});
