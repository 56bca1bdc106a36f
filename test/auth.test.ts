import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createExecutionContext } from "cloudflare:test";
import { buildApp } from "../src/app";
import { api, apiJson, buildRequest, newEndpoint, newTenant } from "./support/api";

describe("authentication and tenant API keys", () => {
  it("a request without credentials is a 401 in the error shape", async () => {
    const res = await apiJson("GET", "/v1/tenants/any/endpoints", { token: null });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthorized");
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("a wrong admin token is a 401", async () => {
    expect((await api("POST", "/v1/tenants", { token: "not-the-admin-token", body: { name: "x" } })).status).toBe(401);
  });

  it("a rotated ADMIN_TOKEN is honoured at once and the old one refused, though the isolate keeps the token's digest", async () => {
    const call = (token: string, adminToken: string) =>
      buildApp().fetch(buildRequest("GET", "/v1/tenants", { token }), { ...env, ADMIN_TOKEN: adminToken }, createExecutionContext());
    expect((await call("first-admin-token", "first-admin-token")).status).toBe(200);
    expect((await call("first-admin-token", "second-admin-token")).status).toBe(401);
    expect((await call("second-admin-token", "second-admin-token")).status).toBe(200);
  });

  it("an unknown tenant key is a 401", async () => {
    const { id } = await newTenant();
    expect((await api("GET", `/v1/tenants/${id}/endpoints`, { token: "ehk_unknown" })).status).toBe(401);
  });

  it("an admin creates a key that is shown once and listed without it", async () => {
    const { id } = await newTenant();
    const created = await apiJson("POST", `/v1/tenants/${id}/api-keys`, { body: { name: "ci" } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^ehk_[A-Za-z0-9_-]{43}$/);
    const list = await apiJson("GET", `/v1/tenants/${id}/api-keys`);
    const listed = list.body.data.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toMatchObject({ name: "ci", key_prefix: created.body.key.slice(0, 12), revoked_at: null });
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
  });

  it("a key is stored only as a hash", async () => {
    const { id, key } = await newTenant();
    const rows = await env.DB.prepare("SELECT * FROM api_keys WHERE tenant_id = ?").bind(id).all();
    expect(rows.results).toHaveLength(1);
    expect(JSON.stringify(rows.results)).not.toContain(key);
  });

  it("a tenant key acts inside its own tenant", async () => {
    const { id, key } = await newTenant();
    expect((await api("GET", `/v1/tenants/${id}/endpoints`, { token: key })).status).toBe(200);
  });

  it("tenant A's key gets 404 on tenant B's endpoint and tenant", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const endpoint = await newEndpoint(b.id, { url: "https://example.com/b" });
    const res = await apiJson("GET", `/v1/tenants/${b.id}/endpoints/${endpoint.id}`, { token: a.key });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
    expect((await api("GET", `/v1/tenants/${b.id}/endpoints`, { token: a.key })).status).toBe(404);
  });

  it("tenant A's key cannot reach B's endpoint through A's own path either", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const endpoint = await newEndpoint(b.id, { url: "https://example.com/b" });
    expect((await api("GET", `/v1/tenants/${a.id}/endpoints/${endpoint.id}`, { token: a.key })).status).toBe(404);
  });

  it("a revoked key gets 401", async () => {
    const { id } = await newTenant();
    const created = await apiJson("POST", `/v1/tenants/${id}/api-keys`, { body: {} });
    expect((await api("DELETE", `/v1/tenants/${id}/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await api("GET", `/v1/tenants/${id}/endpoints`, { token: created.body.key })).status).toBe(401);
  });

  it("a key revoked right after it was used gets 401 at once", async () => {
    const { id } = await newTenant();
    const created = await apiJson("POST", `/v1/tenants/${id}/api-keys`, { body: {} });
    expect((await api("GET", `/v1/tenants/${id}/endpoints`, { token: created.body.key })).status).toBe(200);
    expect((await api("DELETE", `/v1/tenants/${id}/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await api("GET", `/v1/tenants/${id}/endpoints`, { token: created.body.key })).status).toBe(401);
  });

  it("revoking one key leaves the tenant's other keys working", async () => {
    const { id, key } = await newTenant();
    const other = await apiJson("POST", `/v1/tenants/${id}/api-keys`, { body: {} });
    expect((await api("GET", `/v1/tenants/${id}/endpoints`, { token: key })).status).toBe(200);
    expect((await api("DELETE", `/v1/tenants/${id}/api-keys/${other.body.id}`)).status).toBe(204);
    expect((await api("GET", `/v1/tenants/${id}/endpoints`, { token: key })).status).toBe(200);
  });

  it("a key used just before its tenant is deleted gets 401 afterwards", async () => {
    const { id, key } = await newTenant();
    expect((await api("GET", `/v1/tenants/${id}/endpoints`, { token: key })).status).toBe(200);
    expect((await api("DELETE", `/v1/tenants/${id}`)).status).toBe(204);
    expect((await api("GET", `/v1/tenants/${id}/endpoints`, { token: key })).status).toBe(401);
  });

  it("revoking an unknown key is a 404", async () => {
    const { id } = await newTenant();
    expect((await api("DELETE", `/v1/tenants/${id}/api-keys/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it("a tenant key may not create API keys (403)", async () => {
    const { id, key } = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${id}/api-keys`, { token: key, body: {} });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
  });

  it("a tenant key on an admin-only route is refused before its body is looked at: 403, not a validation error", async () => {
    const { id, key } = await newTenant();
    for (const [method, path] of [
      ["POST", "/v1/tenants"],
      ["POST", `/v1/tenants/${id}/api-keys`],
      ["POST", `/v1/tenants/${id}/portal-links`],
    ] as const) {
      const res = await apiJson(method, path, { token: key, body: { unexpected: true } });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
    }
  });

  it("a tenant key naming another tenant gets 404 before its enqueue body is looked at", async () => {
    const { key } = await newTenant();
    const other = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${other.id}/messages`, { token: key, body: { unexpected: true } });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });

  it("GET /v1/me tells the admin token it is the admin, with no tenant", async () => {
    const res = await apiJson("GET", "/v1/me");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ role: "admin" });
  });

  it("GET /v1/me tells a tenant key which tenant it acts in", async () => {
    const { id, key } = await newTenant();
    const res = await apiJson("GET", "/v1/me", { token: key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ role: "tenant", tenant_id: id });
  });

  it("GET /v1/me without a valid token is a 401", async () => {
    expect((await api("GET", "/v1/me", { token: null })).status).toBe(401);
    expect((await api("GET", "/v1/me", { token: "ehk_unknown" })).status).toBe(401);
  });
});
