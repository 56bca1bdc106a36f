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

/** The workerd test files that share a runtime with the files before them (not in ISOLATED_TESTS). */
const sharedTestFiles = () => workerdTestFiles().filter((file) => !ISOLATED_TESTS.includes(file));

const sourceOf = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

/** What a test can leave in the isolate, each with the call that puts it back. */
const UNDONE_BY = [
  [/vi\.spyOn\(/, /vi\.restoreAllMocks\(/],
  [/vi\.stubGlobal\(/, /vi\.unstubAllGlobals\(/],
  [/vi\.useFakeTimers\(/, /vi\.useRealTimers\(/],
] as const;

describe("the workerd test files that share a runtime", () => {
  it("include none that runs the sweeper or an upkeep pass, injects faults, reads across tenants or measures the database", () => {
    const needing = workerdTestFiles().filter((file) => NEEDS_ISOLATION.test(sourceOf(file)));

    expect(needing.filter((file) => !ISOLATED_TESTS.includes(file))).toEqual([]);
  });

  it("delete every operational endpoint they register: it hears every tenant's endpoint events, the later files' too", () => {
    const registering = sharedTestFiles().filter((file) => sourceOf(file).includes('"POST", "/v1/operational-endpoints"'));

    expect(registering.filter((file) => !sourceOf(file).includes('"DELETE", `/v1/operational-endpoints/'))).toEqual([]);
  });

  it("restore every spy they make: a spy left in place is the next file's console or clock", () => {
    const leaving = sharedTestFiles().filter((file) => UNDONE_BY.some(([made, undone]) => made.test(sourceOf(file)) && !undone.test(sourceOf(file))));

    expect(leaving).toEqual([]);
  });

  it("leave out only files that exist, so a renamed file does not silently start sharing", () => {
    expect(ISOLATED_TESTS.filter((file) => !workerdTestFiles().includes(file))).toEqual([]);
  });
});
