import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROOT, run, type Finished } from "./support/processes";

const DEPLOY = path.join(ROOT, "scripts/deploy.ts");

// A `wrangler` first on PATH that records each call's arguments (one JSON array per line) and
// fails the call whose arguments include WRANGLER_STUB_FAIL.
const STUB = `#!/usr/bin/env node
const args = process.argv.slice(2);
require("node:fs").appendFileSync(process.env.WRANGLER_STUB_LOG, JSON.stringify(args) + "\\n");
if (process.env.WRANGLER_STUB_FAIL && args.includes(process.env.WRANGLER_STUB_FAIL)) process.exit(1);
`;

/** What a deploy to `env` runs, in order: the control DB's migrations, each shard's, then the deploy. */
function deploySteps(env: string): string[][] {
  return [
    ...["DB", "SHARD_0", "SHARD_1"].map((binding) => ["d1", "migrations", "apply", binding, "--remote", "--env", env]),
    ["deploy", "--env", env],
  ];
}

describe("npm run deploy", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "edgehook-deploy-"));
    writeFileSync(path.join(dir, "wrangler"), STUB);
    chmodSync(path.join(dir, "wrangler"), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function deploy(args: string[], failOn = ""): Promise<Finished & { calls: string[][] }> {
    const log = path.join(dir, "calls.jsonl");
    writeFileSync(log, "");
    const result = await run(DEPLOY, args, {
      PATH: `${dir}${path.delimiter}${process.env.PATH}`,
      WRANGLER_STUB_LOG: log,
      WRANGLER_STUB_FAIL: failOn,
    });
    const calls = readFileSync(log, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as string[]);
    return { ...result, calls };
  }

  it("with --env staging, migrates the control DB and every shard of staging remotely, then deploys staging", async () => {
    const { code, calls } = await deploy(["--env", "staging"]);
    expect(code).toBe(0);
    expect(calls).toEqual(deploySteps("staging"));
  });

  it("without --env, names the top level (--env \"\") on every step, so none falls back to another environment", async () => {
    const { code, calls } = await deploy([]);
    expect(code).toBe(0);
    expect(calls).toEqual(deploySteps(""));
  });

  it("accepts the environment as -e NAME and --env=NAME too", async () => {
    for (const args of [["-e", "staging"], ["--env=staging"]]) {
      const { code, calls } = await deploy(args);
      expect(code).toBe(0);
      expect(calls.map((call) => call.slice(-2))).toEqual(Array(4).fill(["--env", "staging"]));
    }
  });

  it("stops at a failing migration: the databases after it are not migrated and the Worker is not deployed", async () => {
    const { code, stderr, calls } = await deploy(["--env", "staging"], "SHARD_0");
    expect(code).toBe(1);
    expect(stderr).toContain("Deploy stopped: wrangler d1 migrations apply SHARD_0 --remote --env staging exited with 1");
    expect(calls.map((call) => call[3] ?? call[0])).toEqual(["DB", "SHARD_0"]);
  });

  it("refuses an environment wrangler.toml does not define, before running wrangler", async () => {
    const { code, stderr, calls } = await deploy(["--env", "prod"]);
    expect(code).toBe(1);
    expect(stderr).toContain('No environment found in configuration with name "prod"');
    expect(calls).toEqual([]);
  });

  it("refuses arguments other than --env, before running wrangler", async () => {
    const { code, stderr, calls } = await deploy(["--dry-run"]);
    expect(code).toBe(2);
    expect(stderr).toContain("Usage: npm run deploy [-- --env NAME]");
    expect(calls).toEqual([]);
  });
});
