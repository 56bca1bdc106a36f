// `npm run dev [-- wrangler dev flags]`: creates .dev.vars from the example when it is missing,
// applies the D1 migrations (control database and every shard, scripts/d1-migrations.ts) to the local state that `wrangler dev` will use, then runs
// `wrangler dev` with the flags given. It is one launcher rather than a `predev` hook because npm
// hands the flags after `--` to the `dev` script only, and the migrations must follow the flags
// that choose the state: --persist-to, --env (-e), --config (-c) and --cwd.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import path from "node:path";
import { applyMigrations } from "./d1-migrations.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");

const args = process.argv.slice(2);

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

const dev = spawn(WRANGLER, ["dev", "--test-scheduled", ...args], { cwd: ROOT, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
