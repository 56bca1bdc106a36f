// `npm run dev [-- wrangler dev flags]`: creates .dev.vars from the example when it is missing,
// applies the D1 migrations (control database and every shard, scripts/d1-migrations.ts) to the local state that `wrangler dev` will use, then runs
// `wrangler dev` with the flags given, and fires the sweeper every minute meanwhile (dev-sweeper.ts). It is one launcher rather than a `predev` hook because npm
// hands the flags after `--` to the `dev` script only, and the migrations must follow the flags
// that choose the state: --persist-to, --env (-e), --config (-c) and --cwd.
// It keeps the terminal short: migrations run quietly (their output shows only when one fails),
// wrangler logs warnings and errors only (unless --log-level is given), and once the relay answers
// it ends with a banner (dev-banner.ts): the URL it really listens on, the admin token, the links.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import path from "node:path";
import { applyMigrations } from "./d1-migrations.ts";
import { flagValue } from "./flags.ts";
import { adminTokenOf, devBanner } from "./dev-banner.ts";
import { runSweeperEvery } from "./dev-sweeper.ts";
import { freePort, LOCAL_BUILD_ARGS } from "./local-relay.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");

const args = process.argv.slice(2);
const DEFAULT_PORT = 8787;

// A caller naming its own vars file (--env-file) does not want .dev.vars made for it.
if (!existsSync(path.join(ROOT, ".dev.vars")) && flagValue(args, ["--env-file"]) === undefined) {
  copyFileSync(path.join(ROOT, ".dev.vars.example"), path.join(ROOT, ".dev.vars"));
  console.log("Created .dev.vars from .dev.vars.example (ADMIN_TOKEN=dev-admin-token)");
}

const extraArgs = [["--config", "-c"], ["--cwd"]].flatMap(([name, ...aliases]) => {
  const value = flagValue(args, [name, ...aliases]);
  return value === undefined ? [] : [name, value];
});
await applyMigrations(
  { location: "local", env: flagValue(args, ["--env", "-e"]), persistTo: flagValue(args, ["--persist-to"]), extraArgs },
  { wrangler: WRANGLER, env: { ...process.env, CI: "true" }, quiet: true },
);

// The sweeper companion needs to know where the relay listens, so the port is chosen here when the
// caller did not choose one: wrangler's default, 8787, when it is free.
const portArgs = flagValue(args, ["--port"]) === undefined ? ["--port", String(await freePort(DEFAULT_PORT))] : [];
const port = flagValue(args, ["--port"]) ?? portArgs[1];
const host = flagValue(args, ["--ip"]) ?? "localhost";
const sweepSeconds = Number(process.env.EDGEHOOK_DEV_SWEEP_SECONDS ?? 60);

const logArgs = flagValue(args, ["--log-level"]) === undefined ? ["--log-level", "warn"] : [];
// Without a network the Request.cf fetch fails with a stack trace at every start; the placeholder it falls back to is what local runs get anyway.
const devEnv = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false" };
const dev = spawn(WRANGLER, ["dev", "--test-scheduled", ...LOCAL_BUILD_ARGS, ...portArgs, ...logArgs, ...args], { cwd: ROOT, stdio: "inherit", env: devEnv });
const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
const stopSweeper = runSweeperEvery(url, sweepSeconds);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => {
  stopSweeper();
  process.exit(code ?? (signal ? 1 : 0));
});

// The banner comes when the relay answers, so the URL it names works when it is read.
while (dev.exitCode === null && !(await fetch(`${url}/health`).then((r) => r.ok, () => false))) {
  await new Promise((resolve) => setTimeout(resolve, 250));
}
if (dev.exitCode === null) {
  const varsFile = path.resolve(ROOT, flagValue(args, ["--env-file"]) ?? ".dev.vars");
  const banner = devBanner({ url, port: Number(port), preferredPort: DEFAULT_PORT, portChosen: flagValue(args, ["--port"]) !== undefined, adminToken: adminTokenOf(args, varsFile) });
  if (sweepSeconds > 0) banner.splice(-1, 0, `  Sweeper      every ${sweepSeconds} s, as the deployed cron (EDGEHOOK_DEV_SWEEP_SECONDS=0 turns it off)`);
  console.log(banner.join("\n"));
}
