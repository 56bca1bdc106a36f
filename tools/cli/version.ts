import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The version of the edgehook package this CLI belongs to, read from its package.json: the
 * nearest one above this file, which is tools/cli/ when run from a checkout and dist/tools/cli/
 * when installed from npm.
 */
export function packageVersion(from = import.meta.dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "edgehook" && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) throw new Error("the edgehook package.json was not found above the CLI");
  }
}
