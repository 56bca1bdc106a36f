import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createSecret } from "../src/secrets";
import { tenantShard } from "../src/shards";
import { deliveryIdOf, messageKeyOf, newMessageId, SQL_MESSAGE_KEY } from "../src/lib/ids";
import { createTenant } from "../src/ops/tenants";
import { api, apiJson, newEndpoint, newTenant } from "./support/api";

/** One row of every tenant-scoped table on a shard for `tenantId` (whose mirror row is there); returns the endpoint id. */
async function seedShardRows(shard: D1Database, tenantId: string): Promise<string> {
  const endpoint = crypto.randomUUID();
  const message = newMessageId(tenantId, Date.now());
  const { bucket, offset, seq } = messageKeyOf(message)!;
  await shard.batch([
    shard
      .prepare("INSERT INTO endpoints (id, tenant_id, url, signature, retry, timeout_ms, created_at, updated_at) VALUES (?, ?, 'https://example.com/', '{}', '{}', 1000, 0, 0)")
      .bind(endpoint, tenantId),
    shard
      .prepare(`INSERT INTO messages (key, tenant_id, packed_id, event, packed_targets, payload, packed_created_at) VALUES (${SQL_MESSAGE_KEY("?", "?", "?")}, ?, ?, 'e', ?, '{}', 0)`)
      .bind(bucket, offset, seq, tenantId, message, JSON.stringify([endpoint])),
    shard
      .prepare("INSERT INTO deliveries (tenant_id, endpoint_id, id, packed_queue_token, attempts, last_attempt, last_outcome, created_at, updated_at) VALUES (?, ?, ?, 't', 1, 1, 'ok', 0, 0)")
      .bind(tenantId, endpoint, deliveryIdOf(message, 0)),
    shard.prepare("INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, created_at) VALUES (?, 'k', 'h', ?, 0)").bind(tenantId, message),
  ]);
  return endpoint;
}

/** How many rows each tenant-scoped table of a shard holds for `tenantId`. */
async function shardRowCounts(shard: D1Database, tenantId: string): Promise<Record<string, unknown>> {
  return (await shard
    .prepare(
      `SELECT (SELECT count(*) FROM tenants WHERE id = ?1) AS tenants,
              (SELECT count(*) FROM endpoints WHERE tenant_id = ?1) AS endpoints,
              (SELECT count(*) FROM messages WHERE tenant_id = ?1) AS messages,
              (SELECT count(*) FROM deliveries WHERE tenant_id = ?1) AS deliveries,
              (SELECT count(*) FROM idempotency_keys WHERE tenant_id = ?1) AS idempotency_keys`,
    )
    .bind(tenantId)
    .first())!;
}

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
    const { db: shard } = (await tenantShard(env, id))!;
    expect((await api("DELETE", `/v1/tenants/${id}`)).status).toBe(204);

    expect((await api("GET", `/v1/tenants/${id}`)).status).toBe(404);
    expect((await api("GET", `/v1/tenants/${id}/endpoints`, { token: key })).status).toBe(401);
    expect(await shard.prepare("SELECT count(*) AS n FROM endpoints WHERE tenant_id = ?").bind(id).first("n")).toBe(0);
    expect(await env.SECRETS.get(`secret:endpoint:${endpoint.id}`)).toBeNull();
    expect(await env.SECRETS.get(`secret:tenant:${id}`)).toBeNull();
  });

  it("deleting a tenant empties every table of its shard of its rows, and of no other tenant's", async () => {
    const { id } = await newTenant();
    const { db: shard } = (await tenantShard(env, id))!;
    const bystander = `bystander-${crypto.randomUUID()}`;
    await shard.prepare("INSERT INTO tenants (id) VALUES (?)").bind(bystander).run();
    const endpoint = await seedShardRows(shard, id);
    const bystanderEndpoint = await seedShardRows(shard, bystander);
    await createSecret(env, { kind: "endpoint", id: endpoint });
    await createSecret(env, { kind: "endpoint", id: bystanderEndpoint });

    expect((await api("DELETE", `/v1/tenants/${id}`)).status).toBe(204);
    expect(await shardRowCounts(shard, id)).toEqual({ tenants: 0, endpoints: 0, messages: 0, deliveries: 0, idempotency_keys: 0 });
    expect(await env.SECRETS.get(`secret:endpoint:${endpoint}`)).toBeNull();
    expect(await shardRowCounts(shard, bystander)).toEqual({ tenants: 1, endpoints: 1, messages: 1, deliveries: 1, idempotency_keys: 1 });
    expect(await env.SECRETS.get(`secret:endpoint:${bystanderEndpoint}`)).not.toBeNull();
  });

  it("a deleted tenant's id can be used for a new tenant, which starts empty", async () => {
    const id = `reused-${crypto.randomUUID().slice(0, 8)}`;
    await apiJson("POST", "/v1/tenants", { body: { name: "First", id } });
    await seedShardRows((await tenantShard(env, id))!.db, id);
    await api("DELETE", `/v1/tenants/${id}`);

    const again = await apiJson("POST", "/v1/tenants", { body: { name: "Second", id } });
    expect(again.status).toBe(201);
    const { db: shard } = (await tenantShard(env, id))!;
    expect(await shardRowCounts(shard, id)).toEqual({ tenants: 1, endpoints: 0, messages: 0, deliveries: 0, idempotency_keys: 0 });
  });

  it("a tenant whose signing secret cannot be stored leaves no row behind, in the control DB or on a shard", async () => {
    const id = `unsealed-${crypto.randomUUID().slice(0, 8)}`;
    await expect(createTenant({ ...env, MASTER_KEY: "" }, { id, name: "No key" }, Date.now())).rejects.toThrow("MASTER_KEY is not configured");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tenants WHERE id = ?").bind(id).first("n")).toBe(0);
    for (const shard of [env.SHARD_0, env.SHARD_1]) {
      expect(await shard.prepare("SELECT count(*) AS n FROM tenants WHERE id = ?").bind(id).first("n")).toBe(0);
    }
  });

  it("creating a tenant again after a create that left its control row without a shard row gives a whole tenant (201)", async () => {
    const id = `leftover-${crypto.randomUUID().slice(0, 8)}`;
    // What a create leaves when its connection is lost after the control row is written and its clean-up fails.
    await env.DB.prepare("INSERT INTO tenants (id, name, shard, created_at) VALUES (?, 'Lost', 0, 0)").bind(id).run();
    const res = await apiJson("POST", "/v1/tenants", { body: { id, name: "Again" } });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe("Again");
    expect((await apiJson("GET", `/v1/tenants/${id}/secret`)).status).toBe(200);
    expect((await apiJson("POST", `/v1/tenants/${id}/endpoints`, { body: { url: "https://example.com/hook" } })).status).toBe(201);
  });

  it("a whole tenant's id stays taken (409) and the tenant untouched", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", "/v1/tenants", { body: { id, name: "Other" } });
    expect(res.status).toBe(409);
    expect((await apiJson("GET", `/v1/tenants/${id}`)).body.name).toBe("Test tenant");
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
