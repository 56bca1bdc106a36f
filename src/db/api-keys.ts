import type { ApiKey } from "../schemas/api-keys";
import { iso } from "./pagination";

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string | null;
  key_prefix: string;
  created_at: number;
  revoked_at: number | null;
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    name: row.name,
    key_prefix: row.key_prefix,
    created_at: iso(row.created_at),
    revoked_at: iso(row.revoked_at),
  };
}

/** Stores a new key by its hash. */
export async function insertApiKey(
  db: D1Database,
  key: { id: string; tenantId: string; name: string | null; hash: string; prefix: string; now: number },
): Promise<ApiKey> {
  const row = await db
    .prepare(
      "INSERT INTO api_keys (id, tenant_id, name, key_hash, key_prefix, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(key.id, key.tenantId, key.name, key.hash, key.prefix, key.now)
    .first<ApiKeyRow>();
  return toApiKey(row!);
}

/** The id and tenant of an unrevoked key (by hash), with the tenant's data shard, or null. */
export async function apiKeyByHash(db: D1Database, hash: string): Promise<{ id: string; tenant_id: string; shard: number } | null> {
  return db
    .prepare(
      `SELECT k.id, k.tenant_id, t.shard FROM api_keys AS k JOIN tenants AS t ON t.id = k.tenant_id
       WHERE k.key_hash = ? AND k.revoked_at IS NULL`,
    )
    .bind(hash)
    .first();
}

/** Marks a tenant's key revoked; returns false when the tenant has no such unrevoked key. */
export async function revokeApiKey(db: D1Database, tenantId: string, id: string, now: number): Promise<boolean> {
  const result = await db
    .prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL")
    .bind(now, id, tenantId)
    .run();
  return result.meta.changes > 0;
}

/** A tenant's keys, newest first (metadata only). */
export async function listApiKeys(db: D1Database, tenantId: string): Promise<ApiKey[]> {
  const { results } = await db
    .prepare("SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at DESC, id DESC")
    .bind(tenantId)
    .all<ApiKeyRow>();
  return results.map(toApiKey);
}
