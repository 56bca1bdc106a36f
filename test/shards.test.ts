import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { forgetTenantShard, pickShardForNewTenant, shardCount, shardDb, tenantShard } from "../src/shards";
import { apiJson, newTenant } from "./support/api";

/** Control rows with no data anywhere, standing in for tenants that already fill a shard. */
const placeholders: string[] = [];
async function addPlaceholderTenants(shard: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const id = `placeholder-${crypto.randomUUID()}`;
    placeholders.push(id);
    await env.DB.prepare("INSERT INTO tenants (id, name, shard, created_at) VALUES (?, 'placeholder', ?, 0)").bind(id, shard).run();
  }
}
afterEach(async () => {
  for (const id of placeholders.splice(0)) await env.DB.prepare("DELETE FROM tenants WHERE id = ?").bind(id).run();
});

async function tenantsOn(shard: number): Promise<number> {
  return (await env.DB.prepare("SELECT COUNT(*) AS n FROM tenants WHERE shard = ?").bind(shard).first<number>("n"))!;
}

/** Adds placeholders to the emptier shard until both hold the same number of tenants. */
async function balanceShards(): Promise<void> {
  const [zero, one] = [await tenantsOn(0), await tenantsOn(1)];
  await addPlaceholderTenants(zero < one ? 0 : 1, Math.abs(zero - one));
}

async function recordedShard(tenantId: string): Promise<number | null> {
  return env.DB.prepare("SELECT shard FROM tenants WHERE id = ?").bind(tenantId).first<number>("shard");
}

describe("data shards", () => {
  it("are the SHARD_n bindings: two in tests, as in local dev", () => {
    expect(shardCount(env)).toBe(2);
    expect(shardDb(env, 0)).toBe(env.SHARD_0);
    expect(shardDb(env, 1)).toBe(env.SHARD_1);
  });

  it.each([2, -1, 0.5])("an unknown shard index (%s) is an error naming the shards there are", (index) => {
    expect(() => shardDb(env, index)).toThrow(`No data shard ${index}: the Worker has SHARD_0 to SHARD_1`);
  });
});

describe("the shard of a new tenant", () => {
  it("alternates between equally full shards, lowest index first", async () => {
    await balanceShards();
    const first = await newTenant();
    const second = await newTenant();
    const third = await newTenant();
    expect([await recordedShard(first.id), await recordedShard(second.id), await recordedShard(third.id)]).toEqual([0, 1, 0]);
  });

  it("is the emptiest shard until it catches up, as for a newly added shard", async () => {
    await balanceShards();
    await addPlaceholderTenants(0, 3);
    expect(await pickShardForNewTenant(env)).toBe(1);
    const created = [await newTenant(), await newTenant(), await newTenant()];
    for (const { id } of created) expect(await recordedShard(id)).toBe(1);
    expect(await pickShardForNewTenant(env)).toBe(0);
  });
});

describe("the shard a tenant lives on", () => {
  it("is the one recorded in the control database, with its database", async () => {
    const { id } = await newTenant();
    const index = (await recordedShard(id))!;
    expect(await tenantShard(env, id)).toEqual({ index, db: shardDb(env, index) });
  });

  it("is null for a tenant that does not exist", async () => {
    expect(await tenantShard(env, "no-such-tenant")).toBeNull();
  });

  it("is remembered by the isolate after the first lookup, until forgotten", async () => {
    const { id } = await newTenant();
    const index = (await recordedShard(id))!;
    await tenantShard(env, id);
    await env.DB.prepare("UPDATE tenants SET shard = ? WHERE id = ?").bind(1 - index, id).run();
    expect((await tenantShard(env, id))!.index).toBe(index);
    forgetTenantShard(id);
    expect((await tenantShard(env, id))!.index).toBe(1 - index);
  });

  it("holds the tenant's mirror row, and the other shard does not", async () => {
    const { id } = await newTenant();
    const index = (await recordedShard(id))!;
    const mirrored = (shard: number) => shardDb(env, shard).prepare("SELECT id FROM tenants WHERE id = ?").bind(id).first("id");
    expect(await mirrored(index)).toBe(id);
    expect(await mirrored(1 - index)).toBeNull();
  });

  it("is looked up afresh when a tenant is deleted and its id created again", async () => {
    const id = `again-${crypto.randomUUID().slice(0, 8)}`;
    await apiJson("POST", "/v1/tenants", { body: { name: "First", id } });
    const first = (await tenantShard(env, id))!.index;
    await apiJson("DELETE", `/v1/tenants/${id}`);
    // The emptier shard is now the other one, so the re-created tenant lands there.
    await balanceShards();
    await addPlaceholderTenants(first, 1);
    expect((await apiJson("POST", "/v1/tenants", { body: { name: "Second", id } })).status).toBe(201);
    expect(await tenantShard(env, id)).toEqual({ index: 1 - first, db: shardDb(env, 1 - first) });
  });
});
