import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkStructure, MAX_FILE_LINES, MAX_FUNCTION_LINES, MAX_VIEW_LINES } from "../../scripts/check-structure.ts";

const SRC = path.resolve(import.meta.dirname, "..", "..", "src");

describe("the structure of src/", () => {
  it("has no function, file or dashboard view over its size, no runtime import cycle and no import up from src/db", () => {
    expect(checkStructure(SRC).map((o) => o.message)).toEqual([]);
  });
});

describe("the structure check", () => {
  let root: string;
  afterEach(() => rmSync(path.dirname(root), { recursive: true, force: true }));

  /** A throwaway src/ with the given files (paths relative to it). */
  function tree(files: Record<string, string>): string {
    root = path.join(mkdtempSync(path.join(tmpdir(), "structure-")), "src");
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      writeFileSync(path.join(root, name), text);
    }
    return root;
  }
  /** Line breaks that make a construct opened on one line close on its `n`th. */
  const spanning = (n: number) => "\n".repeat(n - 1);
  const fn = (name: string, length: number) => `export function ${name}() {${spanning(length)}}\n`;
  /** A file of `n` lines. */
  const fileOf = (n: number) => `export const a = 1;\n${"\n".repeat(n - 1)}`;

  it("names a function longer than the limit, by the name a reader looks for", () => {
    const src = tree({ "a.ts": `${fn("short", MAX_FUNCTION_LINES)}export const long = () => {${spanning(MAX_FUNCTION_LINES + 1)}};\n` });
    expect(checkStructure(src).map((o) => o.message)).toEqual([`src/a.ts: long has ${MAX_FUNCTION_LINES + 1} lines (at most ${MAX_FUNCTION_LINES})`]);
  });

  it("counts a method as a function", () => {
    const src = tree({ "a.ts": `export class A {\n  run() {${spanning(MAX_FUNCTION_LINES + 1)}}\n}\n` });
    expect(checkStructure(src).map((o) => o.key)).toEqual(["src/a.ts: run"]);
  });

  it("lets long functions pass in dashboard views, whose markup is long", () => {
    const src = tree({ "dashboard/views/page.tsx": fn("Page", MAX_FUNCTION_LINES + 10) });
    expect(checkStructure(src)).toEqual([]);
  });

  it("names a file longer than the limit", () => {
    const src = tree({ "a.ts": fileOf(MAX_FILE_LINES + 1) });
    expect(checkStructure(src).map((o) => o.key)).toEqual(["src/a.ts: file"]);
  });

  it("holds dashboard views to their own, lower, file limit", () => {
    const src = tree({ "dashboard/views/page.tsx": fileOf(MAX_VIEW_LINES + 1) });
    expect(checkStructure(src).map((o) => o.message)).toEqual([`src/dashboard/views/page.tsx has ${MAX_VIEW_LINES + 1} lines (at most ${MAX_VIEW_LINES})`]);
  });

  it("names the files of a runtime import cycle", () => {
    const src = tree({
      "a.ts": 'import { b } from "./b";\nexport const a = () => b;\n',
      "b.ts": 'import { c } from "./lib/c.ts";\nexport const b = c;\n',
      "lib/c.ts": 'import { a } from "../a";\nexport const c = a;\n',
    });
    expect(checkStructure(src).map((o) => o.key)).toEqual(["cycle: src/a.ts src/b.ts src/lib/c.ts"]);
  });

  it("does not count imports of types alone, which vanish when the code runs", () => {
    const src = tree({
      "a.ts": 'import type { B } from "./b";\nexport type A = B;\nexport const a = 1;\n',
      "b.ts": 'import { type A } from "./a";\nexport type B = A;\nexport const b = 2;\n',
    });
    expect(checkStructure(src)).toEqual([]);
  });

  it("names a module of the data layer that imports from a layer above it, types included", () => {
    const src = tree({
      "db/messages.ts": 'import { EARLY } from "../delivery/plan";\nimport type { Job } from "../ops/jobs";\nexport const m = EARLY;\nexport type M = Job;\n',
      "delivery/plan.ts": "export const EARLY = 1;\n",
      "ops/jobs.ts": "export type Job = number;\n",
    });
    expect(checkStructure(src).map((o) => o.key)).toEqual(["src/db/messages.ts: imports src/delivery/plan.ts", "src/db/messages.ts: imports src/ops/jobs.ts"]);
  });

  it("lets the data layer import its own modules and the shared ones below the stages", () => {
    const src = tree({
      "db/messages.ts": 'import { SQL } from "./sql";\nimport { id } from "../lib/ids";\nexport const m = SQL + id;\n',
      "db/sql.ts": "export const SQL = 'x';\n",
      "lib/ids.ts": "export const id = 'y';\n",
      "delivery/plan.ts": 'import { m } from "../db/messages";\nexport const p = m;\n',
    });
    expect(checkStructure(src)).toEqual([]);
  });

  it("counts a re-export as a runtime import", () => {
    const src = tree({ "a.ts": 'export { b } from "./b";\nexport const a = 1;\n', "b.ts": 'import { a } from "./a";\nexport const b = a;\n' });
    expect(checkStructure(src).map((o) => o.key)).toEqual(["cycle: src/a.ts src/b.ts"]);
  });
});
