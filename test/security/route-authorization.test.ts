import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../src/dashboard/app";
import { api, apiJson, newEndpoint, newTenant } from "../support/api";
import { DashboardClient } from "../support/dashboard-client";
import { enqueueHeld } from "../support/worker";

/**
 * Walks every operation of the served OpenAPI document, so a route added later without its
 * authorization middleware (adminOnly / tenantAccess) fails here. Tenant A's key is used against
 * tenant B's real resources: a route that forgot tenantAccess would answer B's data, not 404.
 */

/** The operations only the admin token may call (README "API at a glance"). */
const ADMIN_ONLY = new Set([
  "POST /v1/tenants",
  "GET /v1/tenants",
  "GET /v1/tenants/{tenant_id}",
  "DELETE /v1/tenants/{tenant_id}",
  "POST /v1/tenants/{tenant_id}/api-keys",
  "GET /v1/tenants/{tenant_id}/api-keys",
  "DELETE /v1/tenants/{tenant_id}/api-keys/{key_id}",
  "POST /v1/tenants/{tenant_id}/portal-links",
  "POST /v1/event-types",
  "PATCH /v1/event-types/{name}",
  "DELETE /v1/event-types/{name}",
  "POST /v1/operational-endpoints",
  "GET /v1/operational-endpoints",
  "GET /v1/operational-endpoints/{endpoint_id}",
  "PATCH /v1/operational-endpoints/{endpoint_id}",
  "DELETE /v1/operational-endpoints/{endpoint_id}",
  "GET /v1/operational-endpoints/{endpoint_id}/secret",
  "POST /v1/operational-endpoints/{endpoint_id}/secret/rotate",
  "POST /v1/operational-endpoints/{endpoint_id}/test",
  "GET /v1/operational-messages",
  "GET /v1/operational-messages/{message_id}",
  "GET /v1/operational-deliveries/{delivery_id}",
  "POST /v1/operational-deliveries/{delivery_id}/retry",
]);

/** The operations any valid token may call: they answer only about the caller itself. */
const ANY_CALLER = new Set(["GET /v1/me"]);

/** The operations any valid token may call that answer the same to everyone: the event-type catalogue, shared by every tenant. */
const SHARED_READS = new Set(["GET /v1/event-types", "GET /v1/event-types/{name}"]);

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

interface Operation {
  method: string;
  path: string;
  name: string;
}

async function operations(): Promise<Operation[]> {
  const document = (await apiJson("GET", "/openapi.json", { token: null })).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), path, name: `${m.toUpperCase()} ${path}` })),
  );
}

/** Tenant B with one of everything a path can name, and tenant A whose key is used against it. */
async function fixture() {
  const a = await newTenant();
  const b = await newTenant();
  const endpoint = await newEndpoint(b.id, { url: "https://example.com/b" });
  const { message } = await enqueueHeld(b.id, { event: "order.created", payload: { n: 1 }, endpoint_ids: [endpoint.id] });
  const keys = await apiJson("GET", `/v1/tenants/${b.id}/api-keys`);
  const eventType = `auth${crypto.randomUUID().slice(0, 8)}.created`;
  await apiJson("POST", "/v1/event-types", { body: { name: eventType, description: "fixture" } });
  const params: Record<string, string> = {
    tenant_id: b.id,
    endpoint_id: endpoint.id,
    message_id: message.id,
    delivery_id: message.deliveries[0]!.id,
    key_id: keys.body.data[0].id,
    name: eventType,
  };
  // The platform's operational endpoint and its test message, for the operational routes' ids.
  const operational = await apiJson("POST", "/v1/operational-endpoints", { body: { url: "https://example.com/ops" } });
  const test = await apiJson("POST", `/v1/operational-endpoints/${operational.body.id}/test`);
  const platform: Record<string, string> = {
    ...params,
    endpoint_id: operational.body.id,
    message_id: test.body.id,
    delivery_id: test.body.deliveries[0].id,
  };
  return { a, b, params, platform };
}

/** The ids an operation's path takes: the platform's for the operational routes, tenant B's otherwise. */
const paramsOf = (op: Operation, world: Awaited<ReturnType<typeof fixture>>) => (op.path.startsWith("/v1/operational-") ? world.platform : world.params);

/** The operation's path with tenant B's ids in it; a parameter without a fixture fails the walk. */
function concrete(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (!value) throw new Error(`no fixture for path parameter {${name}}: add one to this test`);
    return value;
  });
}

/** Calls an operation on tenant B's resources; writes carry an empty JSON body, which no refusal here reads. */
function call(op: Operation, params: Record<string, string>, token: string | null) {
  return apiJson(op.method, concrete(op.path, params), { token, body: op.method === "GET" ? undefined : {} });
}

const ops = await operations();

describe("authorization of every API operation", () => {
  let world: Awaited<ReturnType<typeof fixture>>;
  beforeAll(async () => {
    world = await fixture();
  });

  // An operational endpoint hears every tenant's endpoint events, the files after this one in the runtime included.
  afterAll(async () => {
    expect((await api("DELETE", `/v1/operational-endpoints/${world.platform.endpoint_id}`)).status).toBe(204);
  });

  it("the OpenAPI document lists the operations the walk covers", () => {
    expect(ops.length).toBeGreaterThan(20);
    expect(ops.map((o) => o.name)).toEqual(expect.arrayContaining([...ADMIN_ONLY]));
  });

  it("every operation is admin only, scoped to a tenant in its path, or about the caller itself", () => {
    const unclassified = ops.filter(
      (o) => !ADMIN_ONLY.has(o.name) && !ANY_CALLER.has(o.name) && !SHARED_READS.has(o.name) && !o.path.startsWith("/v1/tenants/{tenant_id}"),
    );
    expect(unclassified.map((o) => o.name)).toEqual([]);
  });

  it.each(ops.map((o) => [o.name, o] as const))("%s without a token is a 401", async (_, op) => {
    const res = await call(op, paramsOf(op, world), null);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthorized");
  });

  it.each(ops.filter((o) => !ANY_CALLER.has(o.name) && !SHARED_READS.has(o.name)).map((o) => [o.name, o] as const))("%s with another tenant's key is a 404, or a 403 when admin only and not tenant scoped", async (_, op) => {
    const res = await call(op, paramsOf(op, world), world.a.key);
    const tenantScoped = op.path.startsWith("/v1/tenants/{tenant_id}");
    expect(res.status).toBe(tenantScoped ? 404 : 403);
    expect(res.body.error.code).toBe(tenantScoped ? "not_found" : "forbidden");
  });

  it.each([...ANY_CALLER].map((name) => [name] as const))("%s answers a tenant key about its own tenant only", async (name) => {
    const op = ops.find((o) => o.name === name)!;
    const res = await call(op, paramsOf(op, world), world.a.key);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toContain(world.a.id);
    expect(JSON.stringify(res.body)).not.toContain(world.b.id);
  });

  it.each([...SHARED_READS].map((name) => [name] as const))("%s answers any tenant key", async (name) => {
    const op = ops.find((o) => o.name === name)!;
    expect((await call(op, paramsOf(op, world), world.a.key)).status).toBe(200);
  });

  it.each([...ADMIN_ONLY].map((name) => [name] as const))("%s with the tenant's own key is a 403", async (name) => {
    const op = ops.find((o) => o.name === name)!;
    const res = await call(op, paramsOf(op, world), world.b.key);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
  });

  it.each(ops.filter((o) => o.method === "GET").map((o) => [o.name, o] as const))(
    "%s answers the admin with 200 for tenant B's (or the platform's) fixtures, so the refusals above are authorization's",
    async (_, op) => {
      expect((await api(op.method, concrete(op.path, paramsOf(op, world)))).status).toBe(200);
    },
  );
});

/** Dashboard pages anyone may load: sign-in, portal links, sign-out and the static assets. */
const DASHBOARD_PUBLIC = new Set(["/sign-in", "/portal", "/sign-out", "/assets/dashboard.css", "/assets/dashboard.js", "/assets/favicon.svg"]);

const dashboardRoutes = buildDashboard()
  .routes.filter((r) => (r.method === "GET" || r.method === "POST") && !DASHBOARD_PUBLIC.has(r.path))
  .map((r) => ({ method: r.method, path: r.path.replace(/:\w+/g, crypto.randomUUID()), name: `${r.method} /dashboard${r.path}` }));

describe("authorization of every dashboard page", () => {
  it("the walk covers the dashboard's tenant pages", () => {
    expect(dashboardRoutes.map((r) => r.name)).toEqual(expect.arrayContaining(["GET /dashboard/", "POST /dashboard/deliveries/:id/replay"]));
  });

  it.each(dashboardRoutes.map((r) => [r.name, r] as const))("%s without a session sends the visitor to sign in", async (_, route) => {
    const browser = new DashboardClient();
    // A pre-session CSRF token, so a form post is refused for want of a session, not of a token.
    await browser.get("/dashboard/sign-in");
    const path = route.path === "/" ? "/dashboard" : `/dashboard${route.path}`;
    const page = route.method === "GET" ? await browser.get(path) : await browser.post(path);
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/dashboard/sign-in");
  });
});
