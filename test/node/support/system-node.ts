import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The `node` a user's shell finds: the first on PATH outside any node_modules/.bin, so not the
 * Node 24 this repository pins as a devDependency (which `npm test` puts first on PATH).
 */
export function systemNode(): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir.includes("node_modules")) continue;
    const candidate = path.join(dir, "node");
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("no node on PATH outside node_modules");
}
