import { TenantMissing } from "../db/messages";
import { deleteTenantData, hasTenantMirror, insertTenantMirror } from "../db/shard-tenants";
import * as stored from "../db/tenants";
import { purgeQueuedPayloads } from "./payload-purges";
import { ApiError, notFound } from "../errors";
import { latestSecretSet, rotateOwnerSecret } from "./secret-rotation";
import { onTenantShard } from "./tenant-db";
import { createSecret, type SecretOwner, type SecretSet } from "../secrets";
import { deleteTenantQueuingSecrets } from "../db/secret-purges";
import { assertNamesakeNotPurging, purgeNamesakeSecret, purgeSecrets } from "./secret-purges";
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
 * pickShardForNewTenant chose, its own signing secret in KV, then its mirror row on that shard, which
 * makes it whole. A deleted tenant's id whose old secret is still queued for deletion has it deleted
 * first (purgeNamesakeSecret), so the queued purge cannot delete the new one; while a purge is
 * deleting it, the id is refused with 503 and Retry-After. When the KV or shard write fails the rows
 * already written are removed, so no tenant is left half-made. That clean-up can fail too, and a D1 write whose connection was lost may
 * have run although it threw: either way a control row is left without its mirror row, and the
 * client, answered 503, sends the create again. Such a leftover (never answered 201, or a deletion
 * that stopped after the shard) is removed and the tenant created afresh, so the retry gets its 201.
 */
export async function createTenant(env: Env, input: { id?: string; name: string }, now = Date.now()): Promise<Tenant> {
  const tenant = await insertWholeTenant(env, input, now);
  if (tenant) return tenant;
  if (input.id !== undefined) {
    await assertNamesakeNotPurging(env.DB, { kind: "tenant", id: input.id }, now);
    const retried = (await removeUnfinishedTenant(env, input.id)) && (await insertWholeTenant(env, input, now));
    if (retried) return retried;
  }
  throw new ApiError(409, "tenant_exists", `A tenant with id "${input.id}" already exists`);
}

/** createTenant's writes; null when the id is taken. */
async function insertWholeTenant(env: Env, input: { id?: string; name: string }, now: number): Promise<Tenant | null> {
  const shard = await pickShardForNewTenant(env);
  const tenant = await stored.insertTenant(env.DB, { id: input.id ?? crypto.randomUUID(), name: input.name, shard, now });
  if (!tenant) return null;
  try {
    await purgeNamesakeSecret(env, { kind: "tenant", id: tenant.id }, now);
    // Versioned from the start: a lagging location must never show a deleted namesake's secret.
    await createSecret(env, { kind: "tenant", id: tenant.id }, undefined, "hmac", now);
    await insertTenantMirror(shardDb(env, shard), tenant.id, now);
  } catch (error) {
    await Promise.allSettled([deleteTenantData(shardDb(env, shard), tenant.id), stored.deleteTenant(env.DB, tenant.id)]);
    throw error;
  }
  return tenant;
}

/**
 * Removes tenant `id`'s control row when its shard has no mirror row for it (see createTenant);
 * true when the id is free now. A whole tenant is left alone (false).
 */
async function removeUnfinishedTenant(env: Env, id: string): Promise<boolean> {
  const shard = await stored.shardIndexOfTenant(env.DB, id);
  if (shard === null) return true;
  if (await hasTenantMirror(shardDb(env, shard), id)) return false;
  await stored.deleteTenant(env.DB, id);
  forgetTenantShard(id);
  return true;
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
 * links and sessions go with it) in one batch with the queueing of its own and its endpoints'
 * secrets for deletion (src/ops/secret-purges.ts), then its R2 payloads (queued by the shard as its
 * messages went: src/ops/payload-purges.ts) and the secrets that fit in this request's share of KV's
 * per-invocation cap; the cron sweeper deletes the rest. A failure
 * before the control row is deleted leaves it, so deleting again finishes the job. 404 when there
 * is no such tenant.
 */
export async function deleteTenant(env: Env, tenantId: string): Promise<void> {
  // Not the cached shard: it may predate a deletion and re-creation of this id in another isolate.
  const shard = await stored.shardIndexOfTenant(env.DB, tenantId);
  if (shard === null) throw notFound("Tenant");
  const { endpointIds } = await deleteTenantData(shardDb(env, shard), tenantId);
  const owners: SecretOwner[] = [{ kind: "tenant", id: tenantId }, ...endpointIds.map((id) => ({ kind: "endpoint" as const, id }))];
  const [deleted] = await env.DB.batch(deleteTenantQueuingSecrets(env.DB, tenantId, owners));
  if (deleted!.meta.changes === 0) throw notFound("Tenant");
  forgetTenantShard(tenantId);
  forgetVerifiedKeys(tenantId);
  // The tenant is gone now: a purge that fails leaves its owners queued for the sweeper, not an error
  // for a deletion a retry would answer with 404.
  const purge = purgeSecrets(env, owners).catch((error: Error) => {
    console.error(`tenant ${tenantId}: taking its deleted secrets off the purge queue failed, the sweeper deletes them again: ${error.message}`);
  });
  const payloads = purgeQueuedPayloads(env, shardDb(env, shard)).catch((error: Error) => {
    console.error(`tenant ${tenantId}: deleting its R2 payloads failed, they stay queued for the sweeper: ${error.message}`);
  });
  await Promise.all([purge, payloads]);
}

/**
 * The tenant's own secret set as its latest rotation left it; 404 when the tenant does not exist.
 * @throws SecretNotVisibleYet (503) while KV in this location still shows no set or an older one
 */
export async function tenantSecret(env: Env, tenantId: string): Promise<SecretSet> {
  return onTenantShard(env, tenantId, async ({ db }) => {
    const set = await latestSecretSet(env, db, tenantId, { kind: "tenant", id: tenantId });
    if (!set) throw new TenantMissing();
    return set;
  });
}

/**
 * Rotates the tenant's own secret (to `secret`, or a fresh one); the old one co-signs for
 * `graceSeconds`, serialised with concurrent rotations (src/ops/secret-rotation.ts) on the version
 * its mirror row holds on its data shard. 404 when the tenant
 * does not exist; 409 `conflict` when other rotations kept winning.
 */
export async function rotateTenantSecret(env: Env, tenantId: string, graceSeconds: number, secret?: string): Promise<SecretSet> {
  return onTenantShard(env, tenantId, async ({ db }) => {
    const set = await rotateOwnerSecret(env, db, tenantId, { kind: "tenant", id: tenantId }, { graceSeconds, secret });
    if (!set) throw new TenantMissing();
    return set;
  });
}
