// `node scripts/check-structure.ts [dir]` (default src/): the size and shape rules of the code, so a
// module stays small enough to read in one sitting and no rule hides in a 300-line function:
//   - no function longer than MAX_FUNCTION_LINES, except in dashboard views (JSX markup is long);
//   - no file longer than MAX_FILE_LINES, and no dashboard view longer than MAX_VIEW_LINES;
//   - no cycle of runtime imports (`import type` and type-only specifiers do not count: they vanish
//     when TypeScript is erased, so they cannot make a module see another half-initialised);
//   - no import, of types either, from the data layer (src/db) up into the layers above it.
// Lines are counted as an editor shows them, blank lines and comments included. Prints one offender
// a line and exits 1 when there is any. test/node/structure.test.ts runs it over src/.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

export const MAX_FUNCTION_LINES = 60;
export const MAX_FILE_LINES = 300;
export const MAX_VIEW_LINES = 200;
/**
 * The directories of src/ above the data layer (DESIGN.md "Source layout": stages, operations,
 * routes and pages call src/db, never the other way): a module of src/db imports nothing from them.
 */
const ABOVE_DB = ["delivery", "ops", "routes", "dashboard"];

/** One broken rule: `key` names it stably (file, rule, function), whatever its message says. */
export interface Offender {
  key: string;
  message: string;
}

/** Whether a file (path relative to the checked root's parent, `/`-separated) is a dashboard view. */
function isView(file: string): boolean {
  return /(^|\/)dashboard\/views\/[^/]+\.tsx$/.test(file);
}

/** Every .ts and .tsx file under `dir`, absolute. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [full] : [];
  });
}

function lineOf(source: ts.SourceFile, position: number): number {
  return source.getLineAndCharacterOfPosition(position).line + 1;
}

/** A function's name as a reader finds it: its own, the variable or property it is assigned to, or its line. */
function functionName(node: ts.FunctionLikeDeclaration, source: ts.SourceFile): string {
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText(source);
  }
  return `(anonymous at line ${lineOf(source, node.getStart(source))})`;
}

/** Functions of `source` longer than MAX_FUNCTION_LINES, each with its length. */
export function longFunctions(source: ts.SourceFile): Array<{ name: string; lines: number }> {
  const found: Array<{ name: string; lines: number }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const lines = lineOf(source, node.getEnd()) - lineOf(source, node.getStart(source)) + 1;
      if (lines > MAX_FUNCTION_LINES) found.push({ name: functionName(node as ts.FunctionLikeDeclaration, source), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Whether an import or export declaration loads its module when the code runs. */
function isRuntimeImport(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return false;
    const clause = node.exportClause;
    return !clause || !ts.isNamedExports(clause) || clause.elements.some((e) => !e.isTypeOnly);
  }
  const clause = node.importClause;
  if (!clause) return true;
  if (clause.isTypeOnly) return false;
  if (clause.name) return true;
  const bindings = clause.namedBindings;
  if (!bindings || ts.isNamespaceImport(bindings)) return true;
  // `import { type A } from "x"` loads nothing once types are erased; `import {} from "x"` does.
  return bindings.elements.length === 0 || bindings.elements.some((e) => !e.isTypeOnly);
}

/** The file a relative specifier names, if it is one of `files`. */
function resolveImport(from: string, specifier: string, files: Set<string>): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  const stem = base.replace(/\.(js|ts|tsx)$/, "");
  return [base, `${stem}.ts`, `${stem}.tsx`, path.join(base, "index.ts")].find((candidate) => files.has(candidate));
}

/** The files among `files` that the import and export declarations of `source` that `counts` name. */
function importsOf(source: ts.SourceFile, files: Set<string>, counts: (node: ts.ImportDeclaration | ts.ExportDeclaration) => boolean): string[] {
  return source.statements.flatMap((statement) => {
    if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement))) return [];
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !counts(statement)) return [];
    const target = resolveImport(source.fileName, specifier.text, files);
    return target ? [target] : [];
  });
}

/** The runtime imports of `source` among `files`. */
export function runtimeImports(source: ts.SourceFile, files: Set<string>): string[] {
  return importsOf(source, files, isRuntimeImport);
}

/** The top directory under the checked root of a file named as checkStructure names it (`src/db/x.ts` → `db`). */
const layerOf = (name: string) => name.split("/")[1];

/** The strongly connected groups of more than one file (or a file importing itself): Tarjan's algorithm. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, index.get(next)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== file);
    if (group.length > 1 || graph.get(file)?.includes(file)) cycles.push(group.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) connect(file);
  return cycles;
}

/**
 * Every offender under `root` (absolute). Keys and messages name files relative to `root`'s
 * parent (`src/ops/messages.ts`), so they read the same on any machine.
 */
export function checkStructure(root: string): Offender[] {
  const files = sourceFiles(root).sort();
  const known = new Set(files);
  const relative = (file: string) => path.relative(path.dirname(root), file).split(path.sep).join("/");
  const offenders: Offender[] = [];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
    const name = relative(file);
    const lines = text.endsWith("\n") ? text.split("\n").length - 1 : text.split("\n").length;
    const limit = isView(name) ? MAX_VIEW_LINES : MAX_FILE_LINES;
    if (lines > limit) offenders.push({ key: `${name}: file`, message: `${name} has ${lines} lines (at most ${limit})` });
    if (!isView(name)) {
      for (const fn of longFunctions(source)) {
        offenders.push({ key: `${name}: ${fn.name}`, message: `${name}: ${fn.name} has ${fn.lines} lines (at most ${MAX_FUNCTION_LINES})` });
      }
    }
    graph.set(file, runtimeImports(source, known));
    if (layerOf(name) !== "db") continue;
    for (const target of importsOf(source, known, () => true).map(relative).filter((t) => ABOVE_DB.includes(layerOf(t)!))) {
      offenders.push({ key: `${name}: imports ${target}`, message: `${name} imports ${target}: src/db is below src/${layerOf(target)}, not above it` });
    }
  }
  for (const cycle of importCycles(graph)) {
    const names = cycle.map(relative);
    offenders.push({ key: `cycle: ${names.join(" ")}`, message: `runtime import cycle among ${names.join(", ")}` });
  }
  return offenders;
}

if (import.meta.main) {
  const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, "..", "src"));
  const offenders = checkStructure(root);
  for (const offender of offenders) process.stdout.write(`${offender.message}\n`);
  process.exitCode = offenders.length > 0 ? 1 : 0;
}
