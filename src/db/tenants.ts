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

/** Inserts a tenant; returns null when the id is taken. */
export async function insertTenant(db: D1Database, id: string, name: string, now: number): Promise<Tenant | null> {
  const row = await db
    .prepare("INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING *")
    .bind(id, name, now)
    .first<TenantRow>();
  return row ? toTenant(row) : null;
}

/** One tenant, or null. */
export async function getTenant(db: D1Database, id: string): Promise<Tenant | null> {
  const row = await db.prepare("SELECT * FROM tenants WHERE id = ?").bind(id).first<TenantRow>();
  return row ? toTenant(row) : null;
}

/**
 * Deletes a tenant and everything it owns in D1, in one batch: its Idempotency-Keys (not tied to the
 * tenant by a foreign key, they would otherwise outlive it and refuse a re-created tenant's requests)
 * and, through foreign keys, the rest. Returns whether it existed.
 */
export async function deleteTenant(db: D1Database, id: string): Promise<boolean> {
  const [, tenant] = await db.batch([
    db.prepare("DELETE FROM idempotency_keys WHERE tenant_id = ?").bind(id),
    db.prepare("DELETE FROM tenants WHERE id = ?").bind(id),
  ]);
  return tenant!.meta.changes > 0;
}

/** A page of tenants, oldest first. */
export async function listTenants(db: D1Database, query: { limit: number; cursor?: string }) {
  const after = decodeCursor(query.cursor);
  const { results } = await db
    .prepare(
      `SELECT * FROM tenants WHERE (?1 IS NULL OR (created_at, id) > (?1, ?2))
       ORDER BY created_at, id LIMIT ?3`,
    )
    .bind(after?.createdAt ?? null, after?.id ?? null, query.limit + 1)
    .all<TenantRow>();
  const { page, next_cursor } = paginate(results, query.limit);
  return { data: page.map(toTenant), next_cursor };
}
