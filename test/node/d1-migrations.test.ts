import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configPathOf, databaseBindings } from "../../scripts/d1-migrations";
import { ROOT } from "./support/processes";

const dir = mkdtempSync(path.join(tmpdir(), "edgehook-bindings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A wrangler.toml declaring these D1 bindings at the top level and under [env.staging]. */
function configWith(top: string[], staging: string[] = top): string {
  const databases = (prefix: string, bindings: string[]) =>
    bindings.map((b, i) => `[[${prefix}d1_databases]]\nbinding = "${b}"\ndatabase_name = "${prefix}db-${i}"\ndatabase_id = "id-${i}"\n`).join("\n");
  const file = path.join(dir, `wrangler-${files++}.toml`);
  writeFileSync(file, `name = "t"\ncompatibility_date = "2026-10-30"\n${databases("", top)}\n[env.staging]\n${databases("env.staging.", staging)}`);
  return file;
}

describe("the databases that take migrations", () => {
  it("are the project's control DB and its two shards, at the top level and in staging", () => {
    expect(databaseBindings()).toEqual(["DB", "SHARD_0", "SHARD_1"]);
    expect(databaseBindings("staging")).toEqual(["DB", "SHARD_0", "SHARD_1"]);
  });

  it("list the control DB first, then the shards by number whatever their order in the file", () => {
    const file = configWith(["SHARD_10", "SHARD_2", "DB", "SHARD_0", "SHARD_1", "SHARD_3", "SHARD_4", "SHARD_5", "SHARD_6", "SHARD_7", "SHARD_8", "SHARD_9"]);
    expect(databaseBindings(undefined, file)).toEqual(["DB", ...Array.from({ length: 11 }, (_, n) => `SHARD_${n}`)]);
  });

  it("are read from the named environment only", () => {
    const file = configWith(["DB", "SHARD_0"], ["DB", "SHARD_0", "SHARD_1", "SHARD_2"]);
    expect(databaseBindings(undefined, file)).toEqual(["DB", "SHARD_0"]);
    expect(databaseBindings("staging", file)).toEqual(["DB", "SHARD_0", "SHARD_1", "SHARD_2"]);
  });

  it("must number the shards from 0 without a gap", () => {
    expect(() => databaseBindings(undefined, configWith(["DB", "SHARD_0", "SHARD_2"]))).toThrow("has SHARD_2 but no SHARD_1");
  });

  it("must include the control database DB", () => {
    expect(() => databaseBindings("staging", configWith(["DB", "SHARD_0"], ["SHARD_0"]))).toThrow('[env.staging] has no D1 binding "DB"');
  });
});

describe("the wrangler configuration that migrations read, as wrangler finds it from the flags passed on", () => {
  it("is the project's wrangler.toml when no flag names another", () => {
    expect(configPathOf(["--persist-to", "state"])).toBe(path.join(ROOT, "wrangler.toml"));
  });

  for (const flags of [["--config", "other.toml"], ["--config=other.toml"], ["-c", "other.toml"], ["-c=other.toml"]]) {
    it(`is the file that ${flags.join(" ")} names, relative to the project folder`, () => {
      expect(configPathOf(["--local", ...flags])).toBe(path.join(ROOT, "other.toml"));
    });
  }

  for (const flags of [["--cwd", "sub"], ["--cwd=sub"]]) {
    it(`is the wrangler.toml of the folder that ${flags.join(" ")} names`, () => {
      expect(configPathOf(flags)).toBe(path.join(ROOT, "sub", "wrangler.toml"));
    });
  }

  for (const flags of [["--cwd", "sub", "-c", "other.toml"], ["-c=other.toml", "--cwd=sub"]]) {
    it(`is the relative file that ${flags.join(" ")} names, in the folder --cwd names`, () => {
      expect(configPathOf(flags)).toBe(path.join(ROOT, "sub", "other.toml"));
    });
  }

  it("is an absolute --config file as given, whatever --cwd says", () => {
    expect(configPathOf(["--cwd", "sub", "--config", path.join(dir, "other.toml")])).toBe(path.join(dir, "other.toml"));
  });

  it("keeps an = inside the value of --config=", () => {
    expect(configPathOf(["--config=a=b.toml"])).toBe(path.join(ROOT, "a=b.toml"));
  });
});
