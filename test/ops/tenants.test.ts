import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/errors";
import { createEndpoint } from "../../src/ops/endpoints";
import { enqueueMessage } from "../../src/ops/messages";
import { createTenant, deleteTenant, getTenant, rotateTenantSecret, tenantSecret } from "../../src/ops/tenants";
import { readSecretSet } from "../../src/secrets";
import { flakyDatabases } from "../support/flaky-d1";
import { rowsOnShards, shardOf } from "../support/shards";

const tenantRow = (id: string) => env.DB.prepare("SELECT id FROM tenants WHERE id = ?").bind(id).first();

describe("tenant operations", () => {
  it("createTenant stores the tenant with its own signing secret", async () => {
    const tenant = await createTenant(env, { name: "Acme" });
    expect(await getTenant(env, tenant.id)).toEqual(tenant);
    expect((await tenantSecret(env, tenant.id)).current).toMatch(/^whsec_/);
  });

  it("createTenant with a taken id is a 409 tenant_exists", async () => {
    const { id } = await createTenant(env, { name: "First" });
    const error = await createTenant(env, { id, name: "Second" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: "tenant_exists" });
  });

  it("createTenant leaves no tenant behind when its secret cannot be stored", async () => {
    const id = `no-secret-${crypto.randomUUID()}`;
    await expect(createTenant({ ...env, MASTER_KEY: "" } as Env, { id, name: "No secret" })).rejects.toThrow();
    expect(await tenantRow(id)).toBeNull();
  });

  it("deleteTenant removes the tenant, its messages and every secret it owned", async () => {
    const { id } = await createTenant(env, { name: "Leaving" });
    const endpoint = await createEndpoint(env, id, { url: "https://example.com/hooks" });
    await enqueueMessage(env, { tenantId: id, event: "test.event", payload: "{}", value: {}, source: null });
    await deleteTenant(env, id);
    expect(await tenantRow(id)).toBeNull();
    expect(await rowsOnShards("messages", id)).toBe(0);
    expect(await readSecretSet(env, { kind: "tenant", id })).toBeNull();
    expect(await readSecretSet(env, { kind: "endpoint", id: endpoint.id })).toBeNull();
    expect(await deleteTenant(env, id).catch((e: ApiError) => e.status)).toBe(404);
  });

  it("deleteTenant completes when only taking the secrets it deleted off the purge queue fails", async () => {
    const { id } = await createTenant(env, { name: "Leaving" });
    const overloaded = { pattern: /DELETE FROM secret_purges/, message: "D1_ERROR: D1 DB is overloaded. Requests queued for too long.", times: 1 };
    const flaky = flakyDatabases(env, overloaded);
    await deleteTenant(flaky.env, id);
    expect(flaky.state.runs).toBe(1);
    expect(await tenantRow(id)).toBeNull();
    expect(await readSecretSet(env, { kind: "tenant", id })).toBeNull();
  });

  it("deleteTenant removes its endpoints' stats rollups, the hourly ones included", async () => {
    const { id } = await createTenant(env, { name: "Measured" });
    const endpoint = await createEndpoint(env, id, { url: "https://example.com/hooks" });
    const db = await shardOf(id);
    await db.batch(
      ["endpoint_stats (tenant_id, endpoint_id, bucket_start", "endpoint_stats_hourly (tenant_id, endpoint_id, hour_start"].map((into) =>
        db.prepare(`INSERT INTO ${into}, succeeded) VALUES (?, ?, 0, 1)`).bind(id, endpoint.id),
      ),
    );
    await deleteTenant(env, id);
    expect(await rowsOnShards("endpoint_stats", id)).toBe(0);
    expect(await rowsOnShards("endpoint_stats_hourly", id)).toBe(0);
  });

  it("rotateTenantSecret keeps the old secret co-signing for the grace period", async () => {
    const { id } = await createTenant(env, { name: "Rotating" });
    const old = (await tenantSecret(env, id)).current;
    const set = await rotateTenantSecret(env, id, 3600);
    expect(set.current).not.toBe(old);
    expect(set.previous.map((p) => p.secret)).toEqual([old]);
  });
});
