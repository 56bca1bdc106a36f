// `npm run deploy [-- --env NAME]`: makes ONE environment of wrangler.toml live on Cloudflare, from
// an empty account or over an earlier deploy: creates its missing queues and D1 databases
// (scripts/cloudflare-resources.ts), applies the D1 migrations of every database (control DB and
// every data shard), then deploys the Worker, which provisions the KV namespace and R2 bucket on its
// first run. Run again, it creates nothing, applies no migration and redeploys the same Worker.
// Without --env it is the top level, named explicitly so no step falls back to another environment.
import { parseArgs } from "node:util";
import { ensureResources } from "./cloudflare-resources.ts";
import { applyMigrations, envArgs, runWrangler } from "./d1-migrations.ts";

let env: string | undefined;
try {
  ({ values: { env } } = parseArgs({ options: { env: { type: "string", short: "e" } } }));
} catch (error) {
  console.error(`${(error as Error).message}\nUsage: npm run deploy [-- --env NAME]`);
  process.exit(2);
}

try {
  const created = await ensureResources(env);
  for (const queue of created.queues) console.log(`Created queue ${queue}`);
  for (const database of created.databases) console.log(`Created D1 database ${database}`);
  await applyMigrations({ env, location: "remote" });
  // The bundle for Cloudflare must say NODE_ENV=production: it is what keeps fault injection off
  // in a deployed Worker whatever a developer's shell exports (src/faults/env.ts).
  await runWrangler(["deploy", ...envArgs(env)], { env: { ...process.env, NODE_ENV: "production" } });
} catch (error) {
  console.error(`Deploy stopped: ${(error as Error).message}`);
  process.exit(1);
}
