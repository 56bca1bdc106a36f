// Runs before `npm run dev`: creates .dev.vars from the example when missing and applies the
// D1 migrations (control and every shard) to the local databases, so a fresh clone needs nothing
// but `npm install`.
import { copyFileSync, existsSync } from "node:fs";
import { applyMigrations } from "./d1-migrations.ts";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example (ADMIN_TOKEN=dev-admin-token)");
}
await applyMigrations({ location: "local" }, { env: { ...process.env, CI: "true" } });
