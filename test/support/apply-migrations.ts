import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardCount, shardDb } from "../../src/shards";

// The control set to DB and the shard set to every SHARD_n, as scripts/d1-migrations.ts does
// outside the tests. Setup files may run more than once; applyD1Migrations skips what is applied.
// The databases are separate Durable Objects, so they migrate at once: ~0.2 s per test file
// instead of ~0.55 s one after another.
await Promise.all([
  applyD1Migrations(env.DB, env.TEST_CONTROL_MIGRATIONS),
  ...Array.from({ length: shardCount(env) }, (_, index) => applyD1Migrations(shardDb(env, index), env.TEST_SHARD_MIGRATIONS)),
]);
