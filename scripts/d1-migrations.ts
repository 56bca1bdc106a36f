// The one way D1 migrations are applied outside the tests: `npm run dev` (scripts/dev.mjs),
// `npm run deploy` (scripts/deploy.ts) and the `wrangler dev` launcher (scripts/local-relay.ts) all
// call applyMigrations. The workers tests apply the same two directories through the vitest plugin
// (vitest.config.ts, test/support/apply-migrations.ts).
import { spawn } from "node:child_process";
import path from "node:path";
import { unstable_readConfig } from "wrangler";
import { flagValue } from "./flags.ts";
import { applyLocalMigrations, localMigrationSources } from "./local-migrations.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const SHARD_BINDING = /^SHARD_(\d+)$/;

/** Where migrations run: one wrangler environment, locally or on the Cloudflare account. */
export interface MigrationTarget {
  /** `[env.NAME]` in wrangler.toml; undefined or "" is the top level. */
  env?: string;
  location: "local" | "remote";
  /** Local state folder, as `wrangler dev --persist-to` uses it; only with location "local". */
  persistTo?: string;
  /** Further `wrangler d1 migrations apply` flags that choose the state, e.g. `--config FILE`, `--cwd DIR`. */
  extraArgs?: string[];
}

/** How wrangler is started: the command (default `wrangler` on PATH), its environment, its output. */
export interface WranglerOptions {
  wrangler?: string;
  env?: NodeJS.ProcessEnv;
  /** Capture wrangler's output (shown only in the error when it fails) instead of printing it. */
  quiet?: boolean;
}

/**
 * The arguments that pin a wrangler command to one environment. The top level is passed as
 * `--env ""`, which is how wrangler 4 names it explicitly (and what keeps `wrangler deploy` from
 * warning that several environments are defined).
 */
export function envArgs(env?: string): string[] {
  return ["--env", env ?? ""];
}

/**
 * The D1 bindings of one environment that take migrations: the control database `DB` first, then
 * the data shards `SHARD_0` … `SHARD_{n-1}` in index order, as `configPath` (the project's
 * wrangler.toml by default) declares them.
 * @throws Error when the environment is not in wrangler.toml, `DB` is missing, or the shard
 *   numbers have a gap (the Worker counts shards from 0 up to the first missing binding).
 */
export function databaseBindings(env?: string, configPath = path.join(ROOT, "wrangler.toml")): string[] {
  // wrangler's declaration of the config type points at a package it bundles, so name the one field read.
  const { d1_databases }: { d1_databases: { binding: string }[] } = unstable_readConfig(
    { config: configPath, env: env || undefined },
    { hideWarnings: true },
  );
  const bindings = d1_databases.map((d) => d.binding);
  const where = env ? `[env.${env}]` : "the top level";
  if (!bindings.includes("DB")) throw new Error(`wrangler.toml: ${where} has no D1 binding "DB" (the control database)`);
  const shards = bindings
    .flatMap((b) => SHARD_BINDING.exec(b)?.[1] ?? [])
    .map(Number)
    .sort((a, b) => a - b);
  shards.forEach((n, i) => {
    if (n !== i) throw new Error(`wrangler.toml: ${where} has SHARD_${n} but no SHARD_${i}; number shards from 0 without gaps`);
  });
  return ["DB", ...shards.map((n) => `SHARD_${n}`)];
}

/**
 * Runs `wrangler …args` in the project folder; resolves when it exits 0, with what it printed on
 * stdout when `quiet` (else "", its output having gone to the terminal).
 * @throws Error naming the command, with its output when quiet, otherwise
 */
export function runWrangler(args: string[], options: WranglerOptions = {}): Promise<string> {
  const wrangler = options.wrangler ?? "wrangler";
  return new Promise((resolve, reject) => {
    const child = spawn(wrangler, args, { cwd: ROOT, env: options.env ?? process.env, stdio: options.quiet ? ["ignore", "pipe", "pipe"] : "inherit" });
    let output = "";
    let stdout = "";
    child.stdout?.on("data", (d) => {
      output += d;
      stdout += d;
    });
    child.stderr?.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`wrangler ${args.join(" ")} exited with ${code}${output ? `:\n${output}` : ""}`));
    });
  });
}

/**
 * Applies the pending migrations of every D1 database of the target environment, each with its own
 * migrations_dir from wrangler.toml. Remote: `wrangler d1 migrations apply`, one database after
 * another (control first). Local: two wrangler runs per database (scripts/local-migrations.ts
 * says why), or `wrangler d1 migrations apply` for one whose wrangler.toml sets migrations_pattern.
 * @throws Error from databaseBindings, or from the first wrangler run that fails; the databases
 *   after it are left as they were.
 */
export async function applyMigrations(target: MigrationTarget, options: WranglerOptions = {}): Promise<void> {
  const where = [`--${target.location}`, ...(target.persistTo ? ["--persist-to", target.persistTo] : []), ...envArgs(target.env), ...(target.extraArgs ?? [])];
  const configPath = configPathOf(target.extraArgs ?? []);
  const bindings = databaseBindings(target.env, configPath);
  if (target.location === "local") {
    const sources = localMigrationSources(bindings, configPath, target.env);
    // The listing's stdout is read as JSON, which wrangler's debug lines (WRANGLER_LOG=debug, set to
    // look into `wrangler dev`) would break: wrangler's default level, under which `--json` prints
    // only the JSON (a lower one prints nothing at all).
    const env = { ...(options.env ?? process.env), WRANGLER_LOG: "log" };
    const run = (args: string[]) => runWrangler(args, { ...options, env, quiet: true });
    // One after another: workerd processes on one state folder at once can fail with SQLITE_BUSY.
    for (const source of sources) {
      if (source.patterned) await run(["d1", "migrations", "apply", source.binding, ...where]);
      else await applyLocalMigrations(source, where, run);
    }
    return;
  }
  for (const binding of bindings) {
    await runWrangler(["d1", "migrations", "apply", binding, ...where], options);
  }
}

/**
 * The wrangler configuration file that `--config`/`-c` and `--cwd` in `args` choose, as wrangler
 * resolves them: each flag as `--flag value` or `--flag=value` (wrangler reads both, and `-cFILE` as
 * no flag at all), the file relative to `--cwd`, and `--cwd` relative to the project folder, where
 * wrangler runs (runWrangler). Without `--config`, that folder's wrangler.toml. Returns an absolute path.
 */
export function configPathOf(args: string[]): string {
  const cwd = path.resolve(ROOT, flagValue(args, ["--cwd"]) ?? ".");
  return path.resolve(cwd, flagValue(args, ["--config", "-c"]) ?? "wrangler.toml");
}
