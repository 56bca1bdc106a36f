import * as stored from "../db/api-keys";
import { notFound } from "../errors";
import { forgetVerifiedKeys, hashApiKey, newApiKey } from "../security/auth";
import type { ApiKey } from "../schemas/api-keys";

/** Tenant API keys, in the control database: stored as a hash, the key itself shown once. */

/** Issues a key for the tenant; returns its metadata and the key, which is not stored. */
export async function createApiKey(env: Env, tenantId: string, name: string | null, now = Date.now()): Promise<ApiKey & { key: string }> {
  const { key, hash, prefix } = await newApiKey();
  const created = await stored.insertApiKey(env.DB, { id: crypto.randomUUID(), tenantId, name, hash, prefix, now });
  return { ...created, key };
}

/** The tenant's keys, newest first (metadata only). */
export function listApiKeys(env: Env, tenantId: string): Promise<ApiKey[]> {
  return stored.listApiKeys(env.DB, tenantId);
}

/** Revokes a key; this isolate stops accepting it at once. 404 when the tenant has no such unrevoked key. */
export async function revokeApiKey(env: Env, tenantId: string, keyId: string, now = Date.now()): Promise<void> {
  if (!(await stored.revokeApiKey(env.DB, tenantId, keyId, now))) throw notFound("API key");
  forgetVerifiedKeys(tenantId, keyId);
}

/** The unrevoked key that `key` (the key's text, as a user typed it) is, with its tenant; null when there is none. */
export async function findApiKey(env: Env, key: string): Promise<{ id: string; tenant_id: string } | null> {
  const found = await stored.apiKeyByHash(env.DB, await hashApiKey(key));
  return found && { id: found.id, tenant_id: found.tenant_id };
}
