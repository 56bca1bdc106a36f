import { env } from "cloudflare:workers";
import { shardCount, shardDb, tenantShard } from "../../src/shards";

/** Every data shard's database, SHARD_0 first. */
export function allShards(): D1Database[] {
  return Array.from({ length: shardCount(env) }, (_, index) => shardDb(env, index));
}

/** The index of the data shard a tenant lives on, as the Worker resolves it. */
export async function shardIndexOf(tenantId: string): Promise<number> {
  const shard = await tenantShard(env, tenantId);
  if (!shard) throw new Error(`tenant ${tenantId} has no data shard`);
  return shard.index;
}

/** The database of the data shard a tenant lives on, to read or arrange its rows directly. */
export async function shardOf(tenantId: string): Promise<D1Database> {
  return shardDb(env, await shardIndexOf(tenantId));
}

/**
 * The first row `sql` (with `params`) returns on any data shard, or null. A row found on more than
 * one shard is an error: a tenant's data lives on exactly one.
 */
export async function rowOnAnyShard<T = Record<string, any>>(sql: string, ...params: unknown[]): Promise<T | null> {
  const rows = (await Promise.all(allShards().map((db) => db.prepare(sql).bind(...params).first<T>()))).filter((row) => row !== null);
  if (rows.length > 1) throw new Error(`${sql}: found on ${rows.length} shards`);
  return rows[0] ?? null;
}

/** How many rows of a tenant-scoped `table` hold `tenantId`, over every data shard (a tenant gone or unknown has none anywhere). */
export async function rowsOnShards(table: string, tenantId: string): Promise<number> {
  const counts = await Promise.all(
    allShards().map((db) => db.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`).bind(tenantId).first<number>("n")),
  );
  return counts.reduce((sum: number, n) => sum + (n ?? 0), 0);
}
