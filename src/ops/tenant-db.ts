import { TenantMissing } from "../db/messages";
import { notFound } from "../errors";
import { forgetTenantShard, tenantShard, type TenantShard } from "../shards";

/**
 * The data shard that holds one tenant's data (endpoints, messages, deliveries, attempts,
 * idempotency keys): its index, which queue messages carry, and its database. Every operation in
 * src/ops resolves it here, once, and stays on it. The lookup is cached per isolate (src/shards.ts).
 * @throws ApiError 404 `not_found` "Tenant" when the control database has no such tenant.
 */
export async function tenantDb(env: Env, tenantId: string): Promise<TenantShard> {
  const shard = await tenantShard(env, tenantId);
  if (!shard) throw notFound("Tenant");
  return shard;
}

/**
 * Runs `operation` on the tenant's shard. An operation that finds the tenant's mirror row missing
 * there throws TenantMissing: the isolate's cached shard may predate a deletion and re-creation of
 * this tenant id on another shard (in another isolate). Then the shard is looked up afresh and, if
 * it moved, the operation runs once more there; otherwise the tenant is gone.
 * @throws ApiError 404 `not_found` "Tenant" when the tenant does not exist (any more).
 */
export async function onTenantShard<T>(env: Env, tenantId: string, operation: (shard: TenantShard) => Promise<T>): Promise<T> {
  const shard = await tenantDb(env, tenantId);
  try {
    return await operation(shard);
  } catch (error) {
    if (!(error instanceof TenantMissing)) throw error;
  }
  forgetTenantShard(tenantId);
  const fresh = await tenantDb(env, tenantId);
  if (fresh.index === shard.index) throw notFound("Tenant");
  try {
    return await operation(fresh);
  } catch (error) {
    throw error instanceof TenantMissing ? notFound("Tenant") : error;
  }
}
