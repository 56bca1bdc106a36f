import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../../src");

/** Every .ts/.tsx file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The src files that `file` imports at run time: relative imports and re-exports that are not type-only. */
function runtimeImports(file: string, files: Set<string>): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const targets: string[] = [];
  for (const node of source.statements) {
    const isImport = ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly &&
      !(node.importClause?.namedBindings && ts.isNamedImports(node.importClause.namedBindings) && !node.importClause.name &&
        node.importClause.namedBindings.elements.length > 0 && node.importClause.namedBindings.elements.every((e) => e.isTypeOnly));
    const isExport = ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier !== undefined;
    if (!isImport && !isExport) continue;
    const specifier = ((node as ts.ImportDeclaration | ts.ExportDeclaration).moduleSpecifier as ts.StringLiteral).text;
    if (!specifier.startsWith(".")) continue;
    const base = path.resolve(path.dirname(file), specifier);
    const resolved = [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")].find((f) => files.has(f));
    if (resolved) targets.push(resolved);
  }
  return targets;
}

/** One import cycle among `graph`'s files, as a list of paths relative to src, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(SRC, f));
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(file, "done");
    return null;
  };
  for (const file of graph.keys()) {
    if (state.has(file)) continue;
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}

describe("kind: the Worker's modules import one another without a cycle", () => {
  it("no src file reaches itself through imports that run (type-only imports aside)", () => {
    const files = new Set(sourceFiles(SRC));
    const graph = new Map([...files].map((f) => [f, runtimeImports(f, files)]));

    expect(findCycle(graph)).toBeNull();
  });

  it("the check finds a cycle when there is one", () => {
    const graph = new Map([["/a.ts", ["/b.ts"]], ["/b.ts", ["/c.ts"]], ["/c.ts", ["/a.ts"]]]);

    expect(findCycle(graph)?.length).toBe(4);
  });
});
