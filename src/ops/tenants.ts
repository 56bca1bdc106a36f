import * as stored from "../db/tenants";
import { endpointIdsOfTenant } from "../db/endpoints";
import { ApiError, notFound } from "../errors";
import { rotateOwnerSecret } from "./secret-rotation";
import { createSecret, deleteSecret, readSecretSet, type SecretSet } from "../secrets";
import { forgetVerifiedKeys } from "../security/auth";
import type { Tenant } from "../schemas/tenants";
import { tenantDb } from "./tenant-db";

/**
 * Tenants and their own signing secret (which signs one-off `webhook_url` deliveries). The tenant
 * rows live in the control database (`env.DB`); what a tenant owns lives in `tenantDb`.
 */

/**
 * Creates a tenant (409 when `id` is taken) with its signing secret; when the secret cannot be
 * stored the tenant is removed again, so no tenant is left without one.
 */
export async function createTenant(env: Env, input: { id?: string; name: string }, now = Date.now()): Promise<Tenant> {
  const tenant = await stored.insertTenant(env.DB, input.id ?? crypto.randomUUID(), input.name, now);
  if (!tenant) throw new ApiError(409, "tenant_exists", `A tenant with id "${input.id}" already exists`);
  try {
    await createSecret(env, { kind: "tenant", id: tenant.id });
  } catch (error) {
    await stored.deleteTenant(env.DB, tenant.id);
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
 * Deletes a tenant and everything it owns: its D1 rows (through foreign keys), its API keys in this
 * isolate's cache at once, then its own and its endpoints' secrets in KV. 404 when there is no such tenant.
 */
export async function deleteTenant(env: Env, tenantId: string): Promise<void> {
  const endpointIds = await endpointIdsOfTenant(tenantDb(env, tenantId), tenantId);
  if (!(await stored.deleteTenant(env.DB, tenantId))) throw notFound("Tenant");
  forgetVerifiedKeys(tenantId);
  await Promise.all([
    deleteSecret(env, { kind: "tenant", id: tenantId }),
    ...endpointIds.map((id) => deleteSecret(env, { kind: "endpoint", id })),
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
  const set = await rotateOwnerSecret(env, tenantId, { kind: "tenant", id: tenantId }, { graceSeconds, secret });
  if (!set) throw notFound("Tenant");
  return set;
}
