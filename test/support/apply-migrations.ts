import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardCount, shardDb } from "../../src/shards";

// The control set to DB and the shard set to every SHARD_n, as scripts/d1-migrations.ts does
// outside the tests. Setup files may run more than once; applyD1Migrations skips what is applied.
await applyD1Migrations(env.DB, env.TEST_CONTROL_MIGRATIONS);
for (let index = 0; index < shardCount(env); index++) {
  await applyD1Migrations(shardDb(env, index), env.TEST_SHARD_MIGRATIONS);
}
