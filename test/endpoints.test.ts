import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { api, apiJson, buildRequest, newEndpoint, newTenant, tick } from "./support/api";
import { flakyDatabases } from "./support/flaky-d1";
import { shardOf } from "./support/shards";
import { kvKeys } from "./support/kv-keys";

const path = (t: string, rest = "") => `/v1/tenants/${t}/endpoints${rest}`;

describe("endpoints", () => {
  it("creating an endpoint with only a URL applies the defaults and returns a whsec_ secret", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", path(id), { body: { url: "https://example.com/hooks" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      tenant_id: id,
      url: "https://example.com/hooks",
      name: null,
      events: [],
      source: null,
      headers: {},
      enabled: true,
      signature: { scheme: "standard" },
      retry: {},
      timeout_ms: 10000,
    });
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  });

  it("every field given on create is stored and returned", async () => {
    const { id } = await newTenant();
    const body = {
      url: "https://example.com/mindee",
      name: "Invoices",
      description: "Invoice predictions",
      events: ["document.*", "job.failed"],
      source: "invoices-v4",
      headers: { Authorization: "Bearer receiver-token" },
      enabled: false,
      signature: { scheme: "hmac-sha256", header: "X-Hub-Signature-256", prefix: "sha256=" },
      retry: { max_attempts: 3, schedule: [10, 60] },
      timeout_ms: 5000,
    };
    const created = await apiJson("POST", path(id), { body });
    expect(created.status).toBe(201);
    const read = await apiJson("GET", path(id, `/${created.body.id}`));
    expect(read.body).toMatchObject(body);
    expect(read.body.secret).toBeUndefined();
  });

  it("a secret given on create is the one used", async () => {
    const { id } = await newTenant();
    const secret = "whsec_" + btoa("0123456789abcdef01234567");
    const created = await newEndpoint(id, { url: "https://example.com/h", secret });
    expect(created.secret).toBe(secret);
    expect((await apiJson("GET", path(id, `/${created.id}/secret`))).body.secret).toBe(secret);
  });

  it("the signing secret is not in D1 and KV holds only ciphertext", async () => {
    const { id } = await newTenant();
    const created = await newEndpoint(id, { url: "https://example.com/h" });
    const row = await (await shardOf(id)).prepare("SELECT * FROM endpoints WHERE id = ?").bind(created.id).first();
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(6));
    const stored = await env.SECRETS.get(`secret:endpoint:${created.id}`);
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(created.secret.slice(6));
    expect(JSON.parse(stored!)).toMatchObject({ v: 1, kid: "1", iv: expect.any(String), ct: expect.any(String) });
  });

  it("the list is paginated with a cursor", async () => {
    const { id } = await newTenant();
    for (const n of [1, 2, 3]) {
      await newEndpoint(id, { url: `https://example.com/${n}` });
      await tick();
    }
    const first = await apiJson("GET", path(id, "?limit=2"));
    expect(first.body.data.map((e: { url: string }) => e.url)).toEqual(["https://example.com/1", "https://example.com/2"]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await apiJson("GET", path(id, `?limit=2&cursor=${first.body.next_cursor}`));
    expect(second.body.data.map((e: { url: string }) => e.url)).toEqual(["https://example.com/3"]);
    expect(second.body.next_cursor).toBeNull();
  });

  it("the list filters by source", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: "https://example.com/a", source: "model-a" });
    await newEndpoint(id, { url: "https://example.com/b", source: "model-b" });
    const res = await apiJson("GET", path(id, "?source=model-b"));
    expect(res.body.data.map((e: { source: string }) => e.source)).toEqual(["model-b"]);
  });

  it("a cursor this API did not issue is a 400", async () => {
    const { id } = await newTenant();
    const res = await apiJson("GET", path(id, "?cursor=garbage!"));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_cursor");
  });

  it("PATCH changes only the fields given and null clears an optional one", async () => {
    const { id } = await newTenant();
    const created = await newEndpoint(id, { url: "https://example.com/old", name: "Old", source: "s1" });
    const res = await apiJson("PATCH", path(id, `/${created.id}`), { body: { url: "https://example.com/new", source: null } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ url: "https://example.com/new", name: "Old", source: null });
  });

  it("disabling records why and re-enabling clears it", async () => {
    const { id } = await newTenant();
    const created = await newEndpoint(id, { url: "https://example.com/x" });
    const off = await apiJson("PATCH", path(id, `/${created.id}`), { body: { enabled: false } });
    expect(off.body).toMatchObject({ enabled: false, disabled_reason: "disabled by request" });
    const on = await apiJson("PATCH", path(id, `/${created.id}`), { body: { enabled: true } });
    expect(on.body).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it("a deleted endpoint is a 404 everywhere afterwards and its secret leaves KV", async () => {
    const { id } = await newTenant();
    const created = await newEndpoint(id, { url: "https://example.com/x" });
    expect((await api("DELETE", path(id, `/${created.id}`))).status).toBe(204);
    const attempts = [
      ["GET", ""],
      ["PATCH", ""],
      ["DELETE", ""],
      ["GET", "/secret"],
      ["POST", "/secret/rotate"],
      ["POST", "/test"],
      ["POST", "/recover"],
    ] as const;
    for (const [method, suffix] of attempts) {
      const body = method === "PATCH" ? { name: "x" } : suffix === "/recover" ? { since: "2026-01-01T00:00:00Z" } : undefined;
      const res = await apiJson(method, path(id, `/${created.id}${suffix}`), { body });
      expect(res.status, `${method} ${suffix}`).toBe(404);
      expect(res.body.error.code).toMatch(/not_found/);
    }
    expect(await env.SECRETS.get(`secret:endpoint:${created.id}`)).toBeNull();
  });

  it.each([
    ["a URL that is not a URL", { url: "not a url" }, "url"],
    ["a URL longer than 2048 characters", { url: `https://example.com/${"a".repeat(2048)}` }, "url"],
    ["an event pattern with spaces", { url: "https://e.com", events: ["bad event"] }, "events.0"],
    ["a star in the middle of a pattern", { url: "https://e.com", events: ["doc*.x"] }, "events.0"],
    ["a source with spaces", { url: "https://e.com", source: "my model" }, "source"],
    ["a reserved header", { url: "https://e.com", headers: { "webhook-signature": "x" } }, "headers.webhook-signature"],
    ["a header value with CR/LF", { url: "https://e.com", headers: { "X-Ok": "a\r\nInjected: 1" } }, "headers.X-Ok"],
    ["a header on the standard scheme", { url: "https://e.com", signature: { scheme: "standard", header: "X-Sig" } }, "signature"],
    ["an unknown signature scheme", { url: "https://e.com", signature: { scheme: "md5" } }, "signature.scheme"],
    ["a retry step beyond a day", { url: "https://e.com", retry: { schedule: [86401] } }, "retry.schedule.0"],
    ["zero max attempts", { url: "https://e.com", retry: { max_attempts: 0 } }, "retry.max_attempts"],
    ["a timeout above 30 s", { url: "https://e.com", timeout_ms: 30001 }, "timeout_ms"],
    ["a malformed secret", { url: "https://e.com", secret: "whsec_short" }, "secret"],
    ["a secret without the whsec_ prefix", { url: "https://e.com", secret: btoa("0123456789abcdef01234567") }, "secret"],
    ["enabled as a string", { url: "https://e.com", enabled: "yes" }, "enabled"],
    ["an unknown field", { url: "https://e.com", colour: "red" }, "(root)"],
  ])("creating an endpoint with %s is a 400 naming the field", async (_, body, field) => {
    const { id } = await newTenant();
    const res = await apiJson("POST", path(id), { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(field);
    expect(await (await shardOf(id)).prepare("SELECT count(*) AS n FROM endpoints WHERE tenant_id = ?").bind(id).first("n")).toBe(0);
  });

  it("a custom header that collides with the hmac-sha256 signature header is a 400", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", path(id), {
      body: { url: "https://e.com", signature: { scheme: "hmac-sha256", header: "X-Sig" }, headers: { "x-sig": "forged" } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toBe("headers.x-sig");
  });

  it("a body that is not JSON is a 400 invalid_json", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", path(id), { rawBody: "{not json", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_json");
  });

  it("a malformed endpoint id in the path is a 400", async () => {
    const { id } = await newTenant();
    const res = await apiJson("GET", path(id, "/not-a-uuid"));
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toBe("endpoint_id");
  });
});

describe("endpoint secrets", () => {
  it("revealing returns the current secret and no earlier ones", async () => {
    const { id, key } = await newTenant();
    const created = await newEndpoint(id, { url: "https://e.com/x" });
    const res = await apiJson("GET", path(id, `/${created.id}/secret`), { token: key });
    expect(res.body).toEqual({ secret: created.secret, previous: [] });
  });

  it("rotating returns a new secret and lists the old one until its grace period ends", async () => {
    const { id } = await newTenant();
    const created = await newEndpoint(id, { url: "https://e.com/x" });
    const before = Date.now();
    const rotated = await apiJson("POST", path(id, `/${created.id}/secret/rotate`), { body: { grace_period_seconds: 3600 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.secret);
    expect(rotated.body.previous).toHaveLength(1);
    const expiresAt = Date.parse(rotated.body.previous[0].expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect((await apiJson("GET", path(id, `/${created.id}/secret`))).body.previous).toHaveLength(1);
  });

  it("an old secret is no longer listed once its grace period has passed", async () => {
    const { id } = await newTenant();
    const created = await newEndpoint(id, { url: "https://e.com/x" });
    await apiJson("POST", path(id, `/${created.id}/secret/rotate`), { body: { grace_period_seconds: 1 } });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await apiJson("GET", path(id, `/${created.id}/secret`))).body.previous).toEqual([]);
  });

  it("rotating without a body uses the default grace period of one day", async () => {
    const { id } = await newTenant();
    const created = await newEndpoint(id, { url: "https://e.com/x" });
    const rotated = await apiJson("POST", path(id, `/${created.id}/secret/rotate`));
    expect(rotated.status).toBe(200);
    expect(Date.parse(rotated.body.previous[0].expires_at) - Date.now()).toBeGreaterThan(86_000_000);
  });

  it("a grace period above seven days is a 400", async () => {
    const { id } = await newTenant();
    const created = await newEndpoint(id, { url: "https://e.com/x" });
    const res = await apiJson("POST", path(id, `/${created.id}/secret/rotate`), { body: { grace_period_seconds: 604801 } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toBe("grace_period_seconds");
  });

  it("at most ten earlier secrets are kept: a rotation that would need an eleventh in its grace period is 409 conflict", async () => {
    const { id } = await newTenant();
    const created = await newEndpoint(id, { url: "https://e.com/x" });
    const statuses = [];
    for (let i = 0; i < 12; i++) statuses.push((await apiJson("POST", path(id, `/${created.id}/secret/rotate`), { body: {} })).status);
    expect(statuses).toEqual([...Array(10).fill(200), 409, 409]);
    expect((await apiJson("GET", path(id, `/${created.id}/secret`))).body.previous).toHaveLength(10);
  });
});

describe("an endpoint create that D1 fails", () => {
  /** How many endpoint secrets KV holds. */
  const endpointSecrets = async () => (await kvKeys(env.SECRETS, "secret:endpoint:")).length;

  /** Creates an endpoint with its row's insert failing (twice, past the one retry) with `message`. */
  async function createFailing(message: string) {
    const { id } = await newTenant();
    const { env: flaky } = flakyDatabases(env, { pattern: /INSERT INTO endpoints/, message, times: 2 });
    const request = buildRequest("POST", `/v1/tenants/${id}/endpoints`, { body: { url: "https://example.com/hook" } });
    return buildApp().fetch(request, flaky, createExecutionContext());
  }

  it("keeps the endpoint's secret when the connection was lost, since the row may have been stored", async () => {
    const before = await endpointSecrets();
    const res = await createFailing("D1_ERROR: Network connection lost.");
    expect(res.status).toBe(503);
    expect(await endpointSecrets()).toBe(before + 1);
  });

  it("removes the endpoint's secret again when D1 refused the insert", async () => {
    const before = await endpointSecrets();
    const res = await createFailing("D1_ERROR: D1 DB is overloaded. Requests queued for too long.");
    expect(res.status).toBe(503);
    expect(await endpointSecrets()).toBe(before);
  });
});
