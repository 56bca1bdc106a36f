import type { Tenant } from "../schemas/tenants";
import { decodeCursor, iso, paginate } from "./pagination";

interface TenantRow {
  id: string;
  name: string;
  created_at: number;
}

function toTenant(row: TenantRow): Tenant {
  return { id: row.id, name: row.name, created_at: iso(row.created_at) };
}

/**
 * Inserts a tenant's control row, placing it on data shard `shard`; returns null when the id is taken,
 * or while a purge of a deleted namesake's secret holds it (src/db/secret-purges.ts leaseSecretPurges).
 */
export async function insertTenant(db: D1Database, tenant: { id: string; name: string; shard: number; now: number }): Promise<Tenant | null> {
  const row = await db
    .prepare(
      `INSERT INTO tenants (id, name, shard, created_at)
       SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM secret_purges WHERE kind = 'tenant' AND id = ?1 AND leased_until > ?4)
       ON CONFLICT (id) DO NOTHING RETURNING *`,
    )
    .bind(tenant.id, tenant.name, tenant.shard, tenant.now)
    .first<TenantRow>();
  return row ? toTenant(row) : null;
}

/** One tenant, or null. */
export async function getTenant(db: D1Database, id: string): Promise<Tenant | null> {
  const row = await db.prepare("SELECT * FROM tenants WHERE id = ?").bind(id).first<TenantRow>();
  return row ? toTenant(row) : null;
}

/** The data shard index recorded for a tenant, or null when there is no such tenant. */
export async function shardIndexOfTenant(db: D1Database, id: string): Promise<number | null> {
  return db.prepare("SELECT shard FROM tenants WHERE id = ?").bind(id).first<number>("shard");
}

/** How many tenants each data shard holds; shards without tenants are absent. */
export async function tenantsPerShard(db: D1Database): Promise<{ shard: number; tenants: number }[]> {
  const { results } = await db.prepare("SELECT shard, COUNT(*) AS tenants FROM tenants GROUP BY shard").all<{ shard: number; tenants: number }>();
  return results;
}

/** Deletes a tenant's control row and, through foreign keys, its API keys, portal links and sessions. Returns whether it existed. */
export async function deleteTenant(db: D1Database, id: string): Promise<boolean> {
  const result = await db.prepare("DELETE FROM tenants WHERE id = ?").bind(id).run();
  return result.meta.changes > 0;
}

/** A page of tenants, oldest first; reserved tenants (ids starting with `_`, which no request can create) are not listed. */
export async function listTenants(db: D1Database, query: { limit: number; cursor?: string }) {
  const after = decodeCursor(query.cursor);
  const { results } = await db
    .prepare(
      `SELECT * FROM tenants WHERE (?1 IS NULL OR (created_at, id) > (?1, ?2)) AND substr(id, 1, 1) <> '_'
       ORDER BY created_at, id LIMIT ?3`,
    )
    .bind(after?.createdAt ?? null, after?.id ?? null, query.limit + 1)
    .all<TenantRow>();
  const { page, next_cursor } = paginate(results, query.limit);
  return { data: page.map(toTenant), next_cursor };
}
