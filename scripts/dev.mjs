// `npm run dev [-- wrangler dev flags]`: creates .dev.vars from the example when it is missing,
// applies the D1 migrations (control database and every shard, scripts/d1-migrations.ts) to the local state that `wrangler dev` will use, then runs
// `wrangler dev` with the flags given, and fires the sweeper every minute meanwhile (dev-sweeper.ts). It is one launcher rather than a `predev` hook because npm
// hands the flags after `--` to the `dev` script only, and the migrations must follow the flags
// that choose the state: --persist-to, --env (-e), --config (-c) and --cwd.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import path from "node:path";
import { applyMigrations } from "./d1-migrations.ts";
import { runSweeperEvery } from "./dev-sweeper.ts";
import { freePort } from "./local-relay.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");

const args = process.argv.slice(2);
const DEFAULT_PORT = 8787;

/** The value of a flag given as `--flag value` or `--flag=value` (the last one wins, as in wrangler), or undefined. */
function flagValue(names) {
  let value;
  args.forEach((arg, i) => {
    for (const name of names) {
      if (arg === name && i + 1 < args.length) value = args[i + 1];
      else if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
    }
  });
  return value;
}

// A caller naming its own vars file (--env-file) does not want .dev.vars made for it.
if (!existsSync(path.join(ROOT, ".dev.vars")) && flagValue(["--env-file"]) === undefined) {
  copyFileSync(path.join(ROOT, ".dev.vars.example"), path.join(ROOT, ".dev.vars"));
  console.log("Created .dev.vars from .dev.vars.example (ADMIN_TOKEN=dev-admin-token)");
}

const extraArgs = [["--config", "-c"], ["--cwd"]].flatMap(([name, ...aliases]) => {
  const value = flagValue([name, ...aliases]);
  return value === undefined ? [] : [name, value];
});
await applyMigrations(
  { location: "local", env: flagValue(["--env", "-e"]), persistTo: flagValue(["--persist-to"]), extraArgs },
  { wrangler: WRANGLER, env: { ...process.env, CI: "true" } },
);

// The sweeper companion needs to know where the relay listens, so the port is chosen here when the
// caller did not choose one: wrangler's default, 8787, when it is free.
const portArgs = flagValue(["--port"]) === undefined ? ["--port", String(await freePort(DEFAULT_PORT))] : [];
const port = flagValue(["--port"]) ?? portArgs[1];
const host = flagValue(["--ip"]) ?? "localhost";
const sweepSeconds = Number(process.env.EDGEHOOK_DEV_SWEEP_SECONDS ?? 60);

const dev = spawn(WRANGLER, ["dev", "--test-scheduled", ...portArgs, ...args], { cwd: ROOT, stdio: "inherit" });
const stopSweeper = runSweeperEvery(`http://${host.includes(":") ? `[${host}]` : host}:${port}`, sweepSeconds);
if (sweepSeconds > 0) console.log(`The sweeper runs every ${sweepSeconds} s, as the cron trigger does when deployed (EDGEHOOK_DEV_SWEEP_SECONDS=0 turns it off)`);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => {
  stopSweeper();
  process.exit(code ?? (signal ? 1 : 0));
});
