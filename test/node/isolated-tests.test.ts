import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ISOLATED_TESTS, NEEDS_ISOLATION } from "../support/isolated-tests";
import { ROOT } from "./support/processes";

/** Every test file the workerd projects run (everything under test/ but test/node and test/unit). */
function workerdTestFiles(): string[] {
  return readdirSync(path.join(ROOT, "test"), { recursive: true, encoding: "utf8" })
    .map((file) => `test/${file.split(path.sep).join("/")}`)
    .filter((file) => file.endsWith(".test.ts") && !file.startsWith("test/node/") && !file.startsWith("test/unit/"));
}

describe("the workerd test files that share a runtime", () => {
  it("include none that runs the sweeper or an upkeep pass, injects faults, reads across tenants or measures the database", () => {
    const needing = workerdTestFiles().filter((file) => NEEDS_ISOLATION.test(readFileSync(path.join(ROOT, file), "utf8")));

    expect(needing.filter((file) => !ISOLATED_TESTS.includes(file))).toEqual([]);
  });

  it("delete every operational endpoint they register: it hears every tenant's endpoint events, the later files' too", () => {
    const shared = workerdTestFiles().filter((file) => !ISOLATED_TESTS.includes(file));
    const source = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
    const registering = shared.filter((file) => source(file).includes('"POST", "/v1/operational-endpoints"'));

    expect(registering.filter((file) => !source(file).includes('"DELETE", `/v1/operational-endpoints/'))).toEqual([]);
  });

  it("leave out only files that exist, so a renamed file does not silently start sharing", () => {
    expect(ISOLATED_TESTS.filter((file) => !workerdTestFiles().includes(file))).toEqual([]);
  });
});
