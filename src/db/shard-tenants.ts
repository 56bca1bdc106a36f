// A tenant's presence on its data shard: the mirror row shard tables reference, and removal of
// everything the tenant owns there.
import { SQL_BUCKET_END, SQL_BUCKET_START, tenantBucket } from "../lib/ids";

/**
 * Adds the tenant's mirror row to its shard, naming `secretVersion` (src/db/secret-versions.ts) as
 * its secret's version; a row left by an earlier, rolled-back creation is kept, with the new version.
 */
export async function insertTenantMirror(shard: D1Database, tenantId: string, secretVersion: number): Promise<void> {
  await shard
    .prepare("INSERT INTO tenants (id, secret_version) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET secret_version = ?2")
    .bind(tenantId, secretVersion)
    .run();
}

/** Whether the tenant's mirror row is on this shard, i.e. whether the tenant lives here. */
export async function hasTenantMirror(shard: D1Database, tenantId: string): Promise<boolean> {
  return (await shard.prepare("SELECT 1 AS present FROM tenants WHERE id = ?").bind(tenantId).first("present")) !== null;
}

/**
 * Deletes, in one atomic batch, the tenant's deliveries, messages, endpoints, endpoint stats (both tiers),
 * idempotency keys and mirror row from its shard. Messages are found by the tenant's key range (src/lib/ids.ts), not by a
 * scan. Returns the ids of the endpoints deleted, whose secrets (in KV) the caller deletes next; the
 * messages whose payload is in R2 leave it queued for deletion (migrations/shard/0019). The batch must finish within
 * D1's 30 s per-batch limit (developers.cloudflare.com/d1/platform/limits/), which bounds the data
 * one tenant can hold.
 */
export async function deleteTenantData(
  shard: D1Database,
  tenantId: string,
): Promise<{ endpointIds: string[] }> {
  const statement = (sql: string) => shard.prepare(sql).bind(tenantId);
  const inRange = (sql: string) => shard.prepare(sql).bind(tenantId, tenantBucket(tenantId));
  const inTenantRange = `key >= ${SQL_BUCKET_START("?2")} AND key < ${SQL_BUCKET_END("?2")} AND tenant_id = ?1`;
  const [endpoints] = await shard.batch<{ id: string }>([
    statement("DELETE FROM endpoints WHERE tenant_id = ?1 RETURNING id"),
    statement("DELETE FROM deliveries WHERE tenant_id = ?1"),
    inRange(`DELETE FROM messages WHERE ${inTenantRange}`),
    statement("DELETE FROM endpoint_stats WHERE tenant_id = ?1"),
    statement("DELETE FROM endpoint_stats_hourly WHERE tenant_id = ?1"),
    statement("DELETE FROM idempotency_keys WHERE tenant_id = ?1"),
    statement("DELETE FROM tenants WHERE id = ?1"),
  ]);
  return { endpointIds: endpoints!.results.map((row) => row.id) };
}
