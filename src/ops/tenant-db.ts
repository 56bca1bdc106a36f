/**
 * The D1 database that holds one tenant's data (endpoints, messages, deliveries, attempts). Every
 * operation in src/ops resolves it here, once, and stays on it. Today every tenant lives in the one
 * `DB` binding; when tenants move to data shards (DESIGN.md "Growing past one machine"), this is the
 * one function that looks the shard up.
 */
export function tenantDb(env: Pick<Env, "DB">, _tenantId: string): D1Database {
  return env.DB;
}
