// A tenant's presence on its data shard: the mirror row shard tables reference, and removal of
// everything the tenant owns there.

/** Adds the tenant's mirror row to its shard; a row left by an earlier, rolled-back creation is kept. */
export async function insertTenantMirror(shard: D1Database, tenantId: string): Promise<void> {
  await shard.prepare("INSERT INTO tenants (id) VALUES (?) ON CONFLICT (id) DO NOTHING").bind(tenantId).run();
}

/** Whether the tenant's mirror row is on this shard, i.e. whether the tenant lives here. */
export async function hasTenantMirror(shard: D1Database, tenantId: string): Promise<boolean> {
  return (await shard.prepare("SELECT 1 AS present FROM tenants WHERE id = ?").bind(tenantId).first("present")) !== null;
}

/**
 * Deletes, in one atomic batch, the tenant's attempts, deliveries, messages, endpoints,
 * idempotency keys and mirror row from its shard. Returns the ids of the endpoints deleted, whose
 * secrets (in KV) the caller deletes next. The batch must finish within D1's 30 s per-batch limit
 * (developers.cloudflare.com/d1/platform/limits/), which bounds the data one tenant can hold.
 */
export async function deleteTenantData(shard: D1Database, tenantId: string): Promise<string[]> {
  const statement = (sql: string) => shard.prepare(sql).bind(tenantId);
  const results = await shard.batch<{ id: string }>([
    statement("DELETE FROM endpoints WHERE tenant_id = ? RETURNING id"),
    statement("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = ?)"),
    statement("DELETE FROM deliveries WHERE tenant_id = ?"),
    statement("DELETE FROM messages WHERE tenant_id = ?"),
    statement("DELETE FROM idempotency_keys WHERE tenant_id = ?"),
    statement("DELETE FROM tenants WHERE id = ?"),
  ]);
  return results[0]!.results.map((row) => row.id);
}
