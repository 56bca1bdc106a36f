import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyMigrations } from "./d1-migrations.ts";

/** A relay running under `wrangler dev` (the same runtime as `npm run dev`), for Node-side tests and the bench. */
export interface LocalRelay {
  url: string;
  adminToken: string;
  /** Process id of `wrangler dev`; workerd runs among its descendants. */
  pid: number;
  stop: () => Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, "..");
const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");
export const DEV_ADMIN_TOKEN = "dev-admin-token";

/** A TCP port that was free a moment ago on 127.0.0.1: `preferred` when it is, else one the system picks. */
export async function freePort(preferred = 0): Promise<number> {
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        const { port: bound } = server.address() as { port: number };
        server.close(() => resolve(bound));
      });
    });
  return preferred ? listen(preferred).catch(() => listen(0)) : listen(0);
}

/**
 * A local state folder with every D1 migration applied (control and every shard), made once per set
 * of migrations, wrangler.toml and wrangler version and kept in the system's temp folder; relays
 * start from a copy. The three migration runs (a wrangler process each) cost more than the rest of a
 * relay's start. Made aside and renamed into place, so concurrent starts never see half of one.
 */
async function migratedState(env: NodeJS.ProcessEnv): Promise<string> {
  const key = createHash("sha256");
  for (const file of ["wrangler.toml", "node_modules/wrangler/package.json"]) key.update(readFileSync(path.join(ROOT, file)));
  const migrations = path.join(ROOT, "migrations");
  for (const file of readdirSync(migrations, { recursive: true, encoding: "utf8" }).sort()) {
    if (file.endsWith(".sql")) key.update(file).update(readFileSync(path.join(migrations, file)));
  }
  const template = path.join(tmpdir(), `edgehook-migrated-${key.digest("hex").slice(0, 16)}`);
  if (existsSync(template)) return template;
  const fresh = mkdtempSync(path.join(tmpdir(), "edgehook-migrating-"));
  await applyMigrations({ location: "local", persistTo: fresh }, { wrangler: WRANGLER, env, quiet: true });
  try {
    renameSync(fresh, template);
  } catch {
    // another start made it first
    rmSync(fresh, { recursive: true, force: true });
  }
  return template;
}

/**
 * The `wrangler dev` arguments that mark a bundle as built for a local run, the one place fault
 * injection may be honoured (src/faults/env.ts); `wrangler deploy` never passes them.
 */
export const LOCAL_BUILD_ARGS = ["--define", "EDGEHOOK_LOCAL_BUILD:true"];

/**
 * Starts the relay with its own throw-away local state, a copy of the migrated one (migratedState),
 * then runs `wrangler dev` on a free port with the `.dev.vars.example` settings and waits until it
 * answers.
 * `vars` override Worker vars (`--var NAME:value`); `inspectorPort` is where DevTools (and the
 * bench's profiler) can attach to the Worker; `entry` runs another Worker script than wrangler.toml's
 * `main` with the same bindings (the bench's counting entry, bench/worker.ts); `config` is another
 * wrangler configuration file than wrangler.toml, in the repository's root (its paths are relative).
 */
export async function startRelay(
  vars: Record<string, string> = {},
  options: { inspectorPort?: number; entry?: string; config?: string } = {},
): Promise<LocalRelay> {
  const persist = mkdtempSync(path.join(tmpdir(), "edgehook-relay-"));
  const port = await freePort();
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  cpSync(await migratedState(env), persist, { recursive: true });
  const args = [
    "dev", ...(options.entry ? [options.entry] : []), "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persist, "--test-scheduled", ...LOCAL_BUILD_ARGS,
    "--env-file", ".dev.vars.example", "--show-interactive-dev-session=false", "--log-level", "warn",
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ...(options.inspectorPort ? ["--inspector-port", String(options.inspectorPort)] : []),
    ...(options.config ? ["--config", options.config] : []),
  ];
  const child: ChildProcess = spawn(WRANGLER, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`wrangler dev did not answer within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    adminToken: DEV_ADMIN_TOKEN,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(persist, { recursive: true, force: true });
    },
  };
}
