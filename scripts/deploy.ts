// `npm run deploy [-- --env NAME]`: applies the D1 migrations of every database of ONE environment
// (control DB and every data shard) on Cloudflare, then deploys the Worker to that same environment.
// Without --env it is the top level, named explicitly so no step falls back to another environment.
import { parseArgs } from "node:util";
import { applyMigrations, envArgs, runWrangler } from "./d1-migrations.ts";

let env: string | undefined;
try {
  ({ values: { env } } = parseArgs({ options: { env: { type: "string", short: "e" } } }));
} catch (error) {
  console.error(`${(error as Error).message}\nUsage: npm run deploy [-- --env NAME]`);
  process.exit(2);
}

try {
  await applyMigrations({ env, location: "remote" });
  await runWrangler(["deploy", ...envArgs(env)]);
} catch (error) {
  console.error(`Deploy stopped: ${(error as Error).message}`);
  process.exit(1);
}
