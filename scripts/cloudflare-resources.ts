// What one wrangler environment needs to exist on the Cloudflare account before its Worker can run,
// and the creation of what is missing: `npm run deploy` (scripts/deploy.ts) calls ensureResources.
// KV namespaces and R2 buckets are left to `wrangler deploy`, which provisions bindings that have no
// id (wrangler >= 4.45). Queues and D1 databases are created here: a dead-letter queue is named only
// by consumers, which wrangler does not provision, and the databases must exist and be migrated
// before the Worker that reads them goes live.
import path from "node:path";
import { unstable_readConfig } from "wrangler";
import { envArgs, runWrangler, type WranglerOptions } from "./d1-migrations.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

/** The resources an environment names in wrangler.toml. */
export interface EnvironmentResources {
  /** Every queue: producers', consumers' and their dead-letter queues, each once. */
  queues: string[];
  /** The `database_name` of every D1 binding, in the order wrangler.toml lists them. */
  databases: string[];
}

/** What `[env.NAME]` (or the top level for undefined or "") of `configPath` names. */
export function environmentResources(env?: string, configPath = path.join(ROOT, "wrangler.toml")): EnvironmentResources {
  // wrangler's declaration of the config type points at a package it bundles, so name the fields read.
  const config: {
    d1_databases: Array<{ binding: string; database_name?: string }>;
    queues: { producers?: Array<{ queue: string }>; consumers?: Array<{ queue: string; dead_letter_queue?: string }> };
  } = unstable_readConfig({ config: configPath, env: env || undefined }, { hideWarnings: true });
  const queues = [
    ...(config.queues.producers ?? []).map((p) => p.queue),
    ...(config.queues.consumers ?? []).flatMap((c) => [c.queue, ...(c.dead_letter_queue ? [c.dead_letter_queue] : [])]),
  ];
  const databases = config.d1_databases.map((d) => {
    if (!d.database_name) throw new Error(`wrangler.toml: the D1 binding ${d.binding} has no database_name`);
    return d.database_name;
  });
  return { queues: [...new Set(queues)], databases };
}

/**
 * Creates the queues and D1 databases of `env` that the account does not have, and returns what it
 * created. A queue counts as present when `wrangler queues info` finds it; databases are compared by
 * name with `wrangler d1 list --json`.
 * @throws Error from the first wrangler command that fails (creation included)
 */
export async function ensureResources(env: string | undefined, options: WranglerOptions = {}): Promise<{ queues: string[]; databases: string[] }> {
  const wanted = environmentResources(env);
  const created = { queues: [] as string[], databases: [] as string[] };
  for (const queue of wanted.queues) {
    const present = await runWrangler(["queues", "info", queue, ...envArgs(env)], { ...options, quiet: true }).then(
      () => true,
      () => false,
    );
    if (present) continue;
    await runWrangler(["queues", "create", queue, ...envArgs(env)], options);
    created.queues.push(queue);
  }
  const listed = JSON.parse(await runWrangler(["d1", "list", "--json", ...envArgs(env)], { ...options, quiet: true })) as Array<{ name: string }>;
  const existing = new Set(listed.map((d) => d.name));
  for (const database of wanted.databases) {
    if (existing.has(database)) continue;
    await runWrangler(["d1", "create", database, ...envArgs(env)], options);
    created.databases.push(database);
  }
  return created;
}
