import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, apiJson, newEndpoint, newTenant } from "./support/api";

describe("tenants", () => {
  it("an admin creates a tenant and gets its id, name and creation time", async () => {
    const res = await apiJson("POST", "/v1/tenants", { body: { name: "Acme" } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: "Acme", created_at: expect.any(String) });
  });

  it("an admin may choose the tenant id", async () => {
    const id = `acme-${crypto.randomUUID().slice(0, 8)}`;
    const res = await apiJson("POST", "/v1/tenants", { body: { name: "Acme", id } });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(id);
  });

  it("a tenant id that is taken is a 409", async () => {
    const id = `dup-${crypto.randomUUID().slice(0, 8)}`;
    await apiJson("POST", "/v1/tenants", { body: { name: "First", id } });
    const res = await apiJson("POST", "/v1/tenants", { body: { name: "Second", id } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("tenant_exists");
  });

  it("an admin reads a tenant", async () => {
    const { id } = await newTenant();
    const res = await apiJson("GET", `/v1/tenants/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, name: "Test tenant" });
  });

  it("an admin lists tenants page by page", async () => {
    const created = [await newTenant(), await newTenant()];
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ id: string }>; next_cursor: string | null } } = await apiJson(
        "GET",
        `/v1/tenants?limit=1${cursor ? `&cursor=${cursor}` : ""}`,
      );
      ids.push(...page.body.data.map((t) => t.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(ids).toEqual(expect.arrayContaining(created.map((t) => t.id)));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("an unknown tenant is a 404 in the error shape", async () => {
    const res = await apiJson("GET", "/v1/tenants/no-such-tenant");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: "not_found", message: "Tenant not found" } });
  });

  it("a tenant's own API key may not manage tenants (403)", async () => {
    const { id, key } = await newTenant();
    expect((await api("GET", `/v1/tenants/${id}`, { token: key })).status).toBe(403);
    expect((await api("GET", "/v1/tenants", { token: key })).status).toBe(403);
    expect((await api("POST", "/v1/tenants", { token: key, body: { name: "x" } })).status).toBe(403);
  });

  it("deleting a tenant removes it, its keys, endpoints and their KV secrets", async () => {
    const { id, key } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://example.com/hook" });
    expect((await api("DELETE", `/v1/tenants/${id}`)).status).toBe(204);

    expect((await api("GET", `/v1/tenants/${id}`)).status).toBe(404);
    expect((await api("GET", `/v1/tenants/${id}/endpoints`, { token: key })).status).toBe(401);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM endpoints WHERE tenant_id = ?").bind(id).first("n")).toBe(0);
    expect(await env.SECRETS.get(`secret:endpoint:${endpoint.id}`)).toBeNull();
    expect(await env.SECRETS.get(`secret:tenant:${id}`)).toBeNull();
  });

  it("deleting a tenant twice is a 404 the second time", async () => {
    const { id } = await newTenant();
    await api("DELETE", `/v1/tenants/${id}`);
    expect((await api("DELETE", `/v1/tenants/${id}`)).status).toBe(404);
  });

  it.each([
    ["an empty name", { name: "" }, "name"],
    ["a missing name", {}, "name"],
    ["an id with spaces", { name: "x", id: "has space" }, "id"],
    ["an unknown field", { name: "x", colour: "red" }, "(root)"],
  ])("creating a tenant with %s is a 400 naming the field", async (_, body, path) => {
    const res = await apiJson("POST", "/v1/tenants", { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it("a tenant has its own secret for one-off deliveries, readable with its key", async () => {
    const { id, key } = await newTenant();
    const res = await apiJson("GET", `/v1/tenants/${id}/secret`, { token: key });
    expect(res.status).toBe(200);
    expect(res.body.secret).toMatch(/^whsec_/);
  });
});

describe("the tenant's one-off signing secret", () => {
  it("rotates, with the old secret co-signing for the grace period", async () => {
    const { id, key } = await newTenant();
    const before = (await apiJson("GET", `/v1/tenants/${id}/secret`, { token: key })).body.secret;
    const rotated = await apiJson("POST", `/v1/tenants/${id}/secret/rotate`, { token: key, body: { grace_period_seconds: 60 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(before);
    expect(rotated.body.previous).toHaveLength(1);
  });
});
