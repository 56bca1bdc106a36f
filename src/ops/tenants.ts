import { deleteTenantData, insertTenantMirror } from "../db/shard-tenants";
import * as stored from "../db/tenants";
import { deletePayloads } from "../payloads";
import { ApiError, notFound } from "../errors";
import { rotateOwnerSecret } from "./secret-rotation";
import { createSecret, deleteSecret, readSecretSet, type SecretSet } from "../secrets";
import { forgetVerifiedKeys } from "../security/auth";
import type { Tenant } from "../schemas/tenants";
import { forgetTenantShard, pickShardForNewTenant, shardDb } from "../shards";

/**
 * Tenants and their own signing secret (which signs one-off `webhook_url` deliveries). The tenant
 * rows live in the control database (`env.DB`), each naming its data shard; what a tenant owns lives
 * on that shard (`tenantDb`), behind the tenant's mirror row there.
 */

/**
 * Creates a tenant where it will live (409 when `id` is taken): its control row naming the shard
 * pickShardForNewTenant chose, its mirror row on that shard, and its own signing secret in KV. When
 * the shard or KV write fails the rows already written are removed, so no tenant is left half-made.
 */
export async function createTenant(env: Env, input: { id?: string; name: string }, now = Date.now()): Promise<Tenant> {
  const shard = await pickShardForNewTenant(env);
  const tenant = await stored.insertTenant(env.DB, { id: input.id ?? crypto.randomUUID(), name: input.name, shard, now });
  if (!tenant) throw new ApiError(409, "tenant_exists", `A tenant with id "${input.id}" already exists`);
  try {
    await insertTenantMirror(shardDb(env, shard), tenant.id);
    await createSecret(env, { kind: "tenant", id: tenant.id });
  } catch (error) {
    await Promise.allSettled([deleteTenantData(shardDb(env, shard), tenant.id), stored.deleteTenant(env.DB, tenant.id)]);
    throw error;
  }
  return tenant;
}

/** One tenant; 404 when there is none with this id. */
export async function getTenant(env: Env, tenantId: string): Promise<Tenant> {
  const tenant = await stored.getTenant(env.DB, tenantId);
  if (!tenant) throw notFound("Tenant");
  return tenant;
}

/** A page of tenants, oldest first. */
export function listTenants(env: Env, query: { limit: number; cursor?: string }): ReturnType<typeof stored.listTenants> {
  return stored.listTenants(env.DB, query);
}

/**
 * Deletes a tenant and everything it owns: its data on its shard first (one atomic batch, the
 * mirror row with it, so no enqueue can slip in between), then its control row (API keys, portal
 * links and sessions go with it), then its own and its endpoints' secrets in KV and its R2 payloads. A failure part-way
 * leaves the control row, so deleting again finishes the job. 404 when there is no such tenant.
 */
export async function deleteTenant(env: Env, tenantId: string): Promise<void> {
  // Not the cached shard: it may predate a deletion and re-creation of this id in another isolate.
  const shard = await stored.shardIndexOfTenant(env.DB, tenantId);
  if (shard === null) throw notFound("Tenant");
  const { endpointIds, r2Payloads } = await deleteTenantData(shardDb(env, shard), tenantId);
  if (!(await stored.deleteTenant(env.DB, tenantId))) throw notFound("Tenant");
  forgetTenantShard(tenantId);
  forgetVerifiedKeys(tenantId);
  await Promise.all([
    deleteSecret(env, { kind: "tenant", id: tenantId }),
    ...endpointIds.map((id) => deleteSecret(env, { kind: "endpoint", id })),
    deletePayloads(env, r2Payloads),
  ]);
}

/** The tenant's own secret set; 404 when none is stored. */
export async function tenantSecret(env: Env, tenantId: string): Promise<SecretSet> {
  const set = await readSecretSet(env, { kind: "tenant", id: tenantId });
  if (!set) throw notFound("Tenant secret");
  return set;
}

/**
 * Rotates the tenant's own secret (to `secret`, or a fresh one); the old one co-signs for
 * `graceSeconds`, serialised with concurrent rotations (src/secret-rotation.ts). 404 when the tenant
 * does not exist; 409 `conflict` when other rotations kept winning.
 */
export async function rotateTenantSecret(env: Env, tenantId: string, graceSeconds: number, secret?: string): Promise<SecretSet> {
  const set = await rotateOwnerSecret(env, env.DB, tenantId, { kind: "tenant", id: tenantId }, { graceSeconds, secret });
  if (!set) throw notFound("Tenant");
  return set;
}
