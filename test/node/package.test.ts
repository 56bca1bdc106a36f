import { readFileSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { beforeAll, describe, expect, it } from "vitest";
import { node, ROOT, run } from "./support/processes";

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");

describe("the package as npm installs it (dist/ built by prepare)", () => {
  beforeAll(async () => {
    // The same build `npm ci` runs through `prepare`, so the checks below see current sources.
    for (const project of ["tsconfig.verify.json", "tsconfig.tools.json"]) {
      const build = await run(TSC, ["-p", project]);
      expect(build.code, build.stdout + build.stderr).toBe(0);
    }
  }, 120_000);

  it("has an edgehook bin that runs as plain JavaScript", async () => {
    const result = await run(path.join(ROOT, pkg.bin.edgehook), ["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: edgehook");
  });

  it("exports edgehook/verify with type declarations, importable by the package name", async () => {
    // The declarations re-export packages/verify's (the @edgehook/verify workspace), which declare the functions.
    const types = path.join(ROOT, pkg.exports["./verify"].types);
    const reexported = [...readFileSync(types, "utf8").matchAll(/from "(.+?)\.ts"/g)].map((m) => path.resolve(path.dirname(types), `${m[1]}.d.ts`));
    expect(reexported.map((file) => readFileSync(file, "utf8")).join("\n")).toContain("verifyWebhook");
    const script = `
      import { createHmac } from "node:crypto";
      import { verifyWebhook } from "edgehook/verify";
      const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body = '{"ok":true}', ts = String(Math.floor(Date.now() / 1000));
      const signature = createHmac("sha256", Buffer.from(secret.slice(6), "base64")).update("m1." + ts + "." + body).digest("base64");
      const verified = await verifyWebhook(body, { "webhook-id": "m1", "webhook-timestamp": ts, "webhook-signature": "v1," + signature }, { secret });
      console.log(verified.id);`;
    const result = await node(["--input-type=module", "-e", script]);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("m1");
  });

  it("prints the package's version with --version", async () => {
    const result = await run(path.join(ROOT, pkg.bin.edgehook), ["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it("installs on Node 20 without an engine warning: its engines and its runtime dependencies' admit Node 20", () => {
    const ranges: Record<string, string> = { edgehook: pkg.engines.node };
    for (const name of Object.keys(pkg.dependencies)) {
      const dependency = JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8"));
      if (dependency.engines?.node) ranges[name] = dependency.engines.node;
    }
    const refusing = Object.entries(ranges).filter(([, range]) => !semver.satisfies("20.0.0", range));
    expect(refusing).toEqual([]);
  });
});
