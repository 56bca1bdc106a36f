import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROOT, run, type Finished } from "./support/processes";

const DEPLOY = path.join(ROOT, "scripts/deploy.ts");

// A `wrangler` first on PATH that records each call's arguments (one JSON array per line) and plays
// an account holding the queues and D1 databases listed in WRANGLER_STUB_ACCOUNT ({queues, databases}):
// `queues info` fails for a queue it lacks, `d1 list --json` prints its databases. It fails the call
// whose arguments include WRANGLER_STUB_FAIL, and notes NODE_ENV on `deploy` calls.
const STUB = `#!/usr/bin/env node
const args = process.argv.slice(2);
const fs = require("node:fs");
const account = JSON.parse(process.env.WRANGLER_STUB_ACCOUNT || '{"queues":[],"databases":[]}');
fs.appendFileSync(process.env.WRANGLER_STUB_LOG, JSON.stringify(args[0] === "deploy" ? [...args, "NODE_ENV=" + process.env.NODE_ENV] : args) + "\\n");
if (process.env.WRANGLER_STUB_FAIL && args.includes(process.env.WRANGLER_STUB_FAIL)) process.exit(1);
if (args[0] === "queues" && args[1] === "info" && !account.queues.includes(args[2])) process.exit(1);
if (args[0] === "d1" && args[1] === "list") console.log(JSON.stringify(account.databases.map((name) => ({ uuid: "u-" + name, name }))));
`;

/** The queues and databases each environment of wrangler.toml names. */
const RESOURCES = {
  "": {
    queues: ["edgehook-deliveries", "edgehook-deliveries-slow", "edgehook-deliveries-dlq"],
    databases: ["edgehook", "edgehook-shard-0", "edgehook-shard-1"],
  },
  staging: {
    queues: ["edgehook-staging-deliveries", "edgehook-staging-deliveries-slow", "edgehook-staging-deliveries-dlq"],
    databases: ["edgehook-staging", "edgehook-staging-shard-0", "edgehook-staging-shard-1"],
  },
};

/** What a deploy to `env` runs once its resources exist: the control DB's migrations, each shard's, then the deploy. */
function migrateAndDeploy(env: string): string[][] {
  return [
    ...["DB", "SHARD_0", "SHARD_1"].map((binding) => ["d1", "migrations", "apply", binding, "--remote", "--env", env]),
    ["deploy", "--env", env, "NODE_ENV=production"],
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

  async function deploy(args: string[], account = { queues: [] as string[], databases: [] as string[] }, failOn = ""): Promise<Finished & { calls: string[][] }> {
    const log = path.join(dir, "calls.jsonl");
    writeFileSync(log, "");
    const result = await run(DEPLOY, args, {
      PATH: `${dir}${path.delimiter}${process.env.PATH}`,
      WRANGLER_STUB_LOG: log,
      WRANGLER_STUB_ACCOUNT: JSON.stringify(account),
      WRANGLER_STUB_FAIL: failOn,
      NODE_ENV: "development",
    });
    const calls = readFileSync(log, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as string[]);
    return { ...result, calls };
  }

  it("on an empty account, creates every queue and D1 database of the environment, migrates each database, then deploys", async () => {
    const { code, stdout, calls } = await deploy(["--env", "staging"]);
    expect(code).toBe(0);
    const { queues, databases } = RESOURCES.staging;
    expect(calls).toEqual([
      ...queues.flatMap((q) => [
        ["queues", "info", q, "--env", "staging"],
        ["queues", "create", q, "--env", "staging"],
      ]),
      ["d1", "list", "--json", "--env", "staging"],
      ...databases.map((d) => ["d1", "create", d, "--env", "staging"]),
      ...migrateAndDeploy("staging"),
    ]);
    expect(stdout).toContain("Created queue edgehook-staging-deliveries-dlq");
    expect(stdout).toContain("Created D1 database edgehook-staging-shard-1");
  });

  it("on an account that has everything, creates nothing: it checks, migrates and deploys", async () => {
    const { code, stdout, calls } = await deploy(["--env", "staging"], RESOURCES.staging);
    expect(code).toBe(0);
    expect(calls).toEqual([
      ...RESOURCES.staging.queues.map((q) => ["queues", "info", q, "--env", "staging"]),
      ["d1", "list", "--json", "--env", "staging"],
      ...migrateAndDeploy("staging"),
    ]);
    expect(stdout).not.toContain("Created");
  });

  it("creates only what is missing, e.g. a data shard added to wrangler.toml", async () => {
    const account = { queues: RESOURCES[""].queues, databases: ["edgehook", "edgehook-shard-0"] };
    const { code, calls } = await deploy([], account);
    expect(code).toBe(0);
    expect(calls.filter((call) => call[1] === "create")).toEqual([["d1", "create", "edgehook-shard-1", "--env", ""]]);
  });

  it("without --env, names the top level (--env \"\") on every step, so none falls back to another environment", async () => {
    const { code, calls } = await deploy([], RESOURCES[""]);
    expect(code).toBe(0);
    expect(calls.slice(-4)).toEqual(migrateAndDeploy(""));
    expect(calls.every((call) => call.includes("--env") && call[call.indexOf("--env") + 1] === "")).toBe(true);
  });

  it("accepts the environment as -e NAME and --env=NAME too", async () => {
    for (const args of [["-e", "staging"], ["--env=staging"]]) {
      const { code, calls } = await deploy(args, RESOURCES.staging);
      expect(code).toBe(0);
      expect(calls.map((call) => call.slice(call.indexOf("--env"), call.indexOf("--env") + 2))).toEqual(Array(8).fill(["--env", "staging"]));
    }
  });

  it("builds the Worker with NODE_ENV=production whatever the shell exports, so fault injection stays off when deployed", async () => {
    const { calls } = await deploy(["--env", "staging"], RESOURCES.staging);
    expect(calls.at(-1)).toContain("NODE_ENV=production");
  });

  it("stops at a failing migration: the databases after it are not migrated and the Worker is not deployed", async () => {
    const { code, stderr, calls } = await deploy(["--env", "staging"], RESOURCES.staging, "SHARD_0");
    expect(code).toBe(1);
    expect(stderr).toContain("Deploy stopped: wrangler d1 migrations apply SHARD_0 --remote --env staging exited with 1");
    expect(calls.filter((call) => call[1] === "migrations").map((call) => call[3])).toEqual(["DB", "SHARD_0"]);
    expect(calls.some((call) => call[0] === "deploy")).toBe(false);
  });

  it("stops when a queue cannot be created, before any database or deploy", async () => {
    const { code, stderr, calls } = await deploy(["--env", "staging"], { queues: [], databases: [] }, "create");
    expect(code).toBe(1);
    expect(stderr).toContain("Deploy stopped: wrangler queues create edgehook-staging-deliveries --env staging exited with 1");
    expect(calls).toHaveLength(2);
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
