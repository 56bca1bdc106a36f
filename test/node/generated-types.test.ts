import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

it("worker-configuration.d.ts matches wrangler.toml (run `npm run types` after changing bindings or vars)", async () => {
  const { stdout } = await promisify(execFile)(
    path.join(ROOT, "node_modules", ".bin", "wrangler"),
    ["types", "--check", "--env-file", ".dev.vars.example", "--strict-vars=false"],
    { cwd: ROOT, env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
  );
  expect(stdout).toContain("up to date");
});
