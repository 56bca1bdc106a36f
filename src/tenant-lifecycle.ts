import { deleteTenantData, insertTenantMirror } from "./db/shard-tenants";
import { deleteTenant, insertTenant, shardIndexOfTenant } from "./db/tenants";
import type { Tenant } from "./schemas/tenants";
import { createSecret, deleteSecret } from "./secrets";
import { forgetVerifiedKeys } from "./security/auth";
import { forgetTenantShard, pickShardForNewTenant, shardDb } from "./shards";

/**
 * Creates a tenant where it will live: its control row (naming the shard pickShardForNewTenant
 * chose), its mirror row on that shard, and its own signing secret in KV (it signs one-off
 * webhook_url deliveries; no tenant is left without one). Returns null when the id is taken.
 * @throws whatever the shard or KV write threw, after removing the rows already written.
 */
export async function createTenant(env: Env, tenant: { id: string; name: string }, now: number): Promise<Tenant | null> {
  const shard = await pickShardForNewTenant(env);
  const created = await insertTenant(env.DB, { ...tenant, shard, now });
  if (!created) return null;
  try {
    await insertTenantMirror(shardDb(env, shard), created.id);
    await createSecret(env, { kind: "tenant", id: created.id });
  } catch (error) {
    await Promise.allSettled([deleteTenantData(shardDb(env, shard), created.id), deleteTenant(env.DB, created.id)]);
    throw error;
  }
  return created;
}

/**
 * Deletes a tenant and everything it owns: its data on its shard first (one atomic batch), then
 * its control row (API keys, portal links and sessions go with it), then its secrets and its
 * endpoints' secrets in KV. A failure part-way leaves the control row, so deleting again finishes
 * the job. Returns false when there is no such tenant.
 */
export async function removeTenant(env: Env, tenantId: string): Promise<boolean> {
  // Not the cached shard: it may predate a deletion and re-creation of this id in another isolate.
  const shard = await shardIndexOfTenant(env.DB, tenantId);
  if (shard === null) return false;
  const endpointIds = await deleteTenantData(shardDb(env, shard), tenantId);
  if (!(await deleteTenant(env.DB, tenantId))) return false;
  forgetTenantShard(tenantId);
  forgetVerifiedKeys(tenantId);
  await Promise.all([
    deleteSecret(env, { kind: "tenant", id: tenantId }),
    ...endpointIds.map((id) => deleteSecret(env, { kind: "endpoint", id })),
  ]);
  return true;
}
