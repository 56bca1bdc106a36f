import { tenantsPerShard, shardIndexOfTenant } from "./db/tenants";
import { IsolateCache } from "./lib/isolate-cache";

/**
 * Data shards: the D1 databases that hold every tenant-scoped table (endpoints, messages,
 * deliveries, attempts, idempotency keys). They are the bindings SHARD_0 … SHARD_{n-1} of
 * wrangler.toml; the control database `DB` records, per tenant, the shard chosen when the tenant
 * was created. A tenant never moves, so this isolate caches the mapping without expiry.
 */

/** A tenant's data shard: its index (binding SHARD_{index}) and the database. */
export interface TenantShard {
  index: number;
  db: D1Database;
}

/** Mappings kept per isolate, without expiry; past 10,000 the oldest is dropped (a lookup refills it). */
const cachedShards = new IsolateCache<string, number>({ ttlMs: Infinity, maxEntries: 10_000 });

function binding(env: Env, index: number): D1Database | undefined {
  return (env as unknown as Record<string, D1Database | undefined>)[`SHARD_${index}`];
}

/** How many data shards the Worker has: SHARD_0, SHARD_1, … counted up to the first missing one. */
export function shardCount(env: Env): number {
  let count = 0;
  while (binding(env, count)) count++;
  return count;
}

/**
 * The database of shard `index`.
 * @throws Error when there is no binding SHARD_{index} (a tenant recorded on a shard whose
 *   binding was removed from wrangler.toml, or a bad index).
 */
export function shardDb(env: Env, index: number): D1Database {
  const db = isShardIndex(env, index) ? binding(env, index) : undefined;
  if (!db) throw new Error(`No data shard ${index}: the Worker has SHARD_0 to SHARD_${shardCount(env) - 1} (wrangler.toml)`);
  return db;
}

/**
 * `env` with its control database and every data shard replaced by `wrap(database)`: how the
 * Worker puts one wrapper (transient-error retries, the bench's counters) around all its D1
 * bindings at once. The other bindings are passed through.
 */
export function withDatabases<E extends Env>(env: E, wrap: (db: D1Database) => D1Database): E {
  const wrapped: Record<string, unknown> = { ...(env as object), DB: wrap(env.DB) };
  for (let index = 0; index < shardCount(env); index++) wrapped[`SHARD_${index}`] = wrap(binding(env, index)!);
  return wrapped as unknown as E;
}

/** Whether `index` names one of the Worker's data shards (a queue message's shard is checked with it). */
export function isShardIndex(env: Env, index: number): boolean {
  return Number.isInteger(index) && index >= 0 && index < shardCount(env);
}

/**
 * The shard a new tenant goes to: the one with the fewest tenants in the control database, the
 * lowest index among equals. So a newly added (empty) shard receives every new tenant until it
 * catches up, and tenants created one after another alternate between equal shards. Two tenants
 * created at the same moment may both pick the same shard; the balance stays approximate.
 * @throws Error when the Worker has no data shard binding.
 */
export async function pickShardForNewTenant(env: Env): Promise<number> {
  const counts = new Array<number>(shardCount(env)).fill(0);
  if (counts.length === 0) throw new Error("No data shard: bind SHARD_0 in wrangler.toml");
  for (const { shard, tenants } of await tenantsPerShard(env.DB)) {
    if (shard < counts.length) counts[shard] = tenants;
  }
  return counts.indexOf(Math.min(...counts));
}

/**
 * The shard a tenant lives on, or null when the control database has no such tenant. Cached per
 * isolate after the first lookup, and refreshed by every control-database read of the tenant that
 * authentication makes (rememberTenantShard). A cached entry can still outlive the tenant's deletion
 * in other isolates: writers confirm the tenant on the shard by its mirror row (`tenants` on the
 * shard), and when the row is missing call forgetTenantShard and look again, since a tenant deleted
 * and re-created with the same id may have been placed on another shard.
 * @throws Error from shardDb when the recorded shard has no binding.
 */
export async function tenantShard(env: Env, tenantId: string): Promise<TenantShard | null> {
  let index = cachedShards.get(tenantId);
  if (index === undefined) {
    const read = cachedShards.readStarts();
    const found = await shardIndexOfTenant(env.DB, tenantId);
    if (found === null) return null;
    index = found;
    cachedShards.set(tenantId, index, { read });
  }
  return { index, db: shardDb(env, index) };
}

/**
 * Records the shard that a control-database read just returned for a tenant. Authentication reads
 * the tenant's row (admin token), its key's row (API key, on a key-cache miss) or its session's
 * row (dashboard) anyway, and hands the shard over here: so this isolate's mapping is as fresh as
 * the request's own read, and a tenant that another isolate deleted and created again on another
 * shard is found on its new shard at once instead of on the old one (where its rows are gone and
 * every read would come back empty).
 */
export function rememberTenantShard(tenantId: string, index: number): void {
  cachedShards.set(tenantId, index);
}

/** Drops this isolate's cached shard of a tenant (after deleting it, or when its mirror row is missing). */
export function forgetTenantShard(tenantId: string): void {
  cachedShards.forget(tenantId);
}
