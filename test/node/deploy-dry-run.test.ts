import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./support/processes";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Runs `wrangler deploy --dry-run` for `env` (no account needed) and returns its output and the bundle it wrote. */
async function dryRun(env: string) {
  const outdir = mkdtempSync(path.join(tmpdir(), "edgehook-dry-run-"));
  dirs.push(outdir);
  const { stdout } = await promisify(execFile)(path.join(ROOT, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--env", env, "--outdir", outdir], {
    cwd: ROOT,
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NODE_ENV: "" },
  });
  return { stdout, bundle: readFileSync(path.join(outdir, "index.js"), "utf8") };
}

describe("wrangler deploy --dry-run", () => {
  it.each([
    ["the top level", "", "edgehook"],
    ["staging", "staging", "edgehook-staging"],
  ])("builds %s with every binding, named, and no resource id needed", async (_, env, prefix) => {
    const { stdout } = await dryRun(env);
    expect(stdout).toContain("--dry-run: exiting now.");
    for (const binding of [`env.DB (${prefix})`, `env.SHARD_0 (${prefix}-shard-0)`, `env.SHARD_1 (${prefix}-shard-1)`, `env.DELIVERIES (${prefix}-deliveries)`, `env.PAYLOADS (${prefix}-payloads)`, "env.SECRETS"]) {
      expect(stdout).toContain(binding);
    }
  });

  it("bundles the Worker as production, which keeps fault injection off when deployed", async () => {
    const { bundle } = await dryRun("staging");
    expect(bundle).toMatch(/function bundleMode\(\) \{\s*return "production";/);
  });

  it("leaves EDGEHOOK_LOCAL_BUILD undefined in the deployed bundle, so fault injection stays off whatever the shell's NODE_ENV", async () => {
    const { bundle } = await dryRun("staging");
    expect(bundle).toMatch(/typeof EDGEHOOK_LOCAL_BUILD !== "undefined"/);
    expect(bundle).not.toMatch(/EDGEHOOK_LOCAL_BUILD:?\s*true/);
  });
});
