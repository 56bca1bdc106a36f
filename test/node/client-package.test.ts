import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./support/processes";
import { sharedRelay, type SharedRelay } from "./support/shared-relay";
import { systemNode } from "./support/system-node";

// A platform developer's view of packages/client: `npm pack` there, install the tarball into an
// empty folder (its one dependency from npm's cache, no network), and send and poll a message
// against a relay from a plain `node` process that sees nothing of this repository.

const exec = promisify(execFile);
const PACKAGE_DIR = path.join(ROOT, "packages/client");
const manifest = JSON.parse(readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8"));
const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");

let workDir: string;
let installDir: string;
let relay: SharedRelay;
let receiver: Server;
let receiverUrl: string;
const delivered: string[] = [];

/** Runs `script` (an ES module) with the system Node in the install folder; `args` reach it as process.argv[1…]. */
async function runInPackage(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec(systemNode(), ["--input-type=module", "-e", script, ...args], { cwd: installDir });
  return stdout;
}

describe("the @edgehook/client tarball, installed into an empty folder", () => {
  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), "edgehook-client-package-"));
    installDir = path.join(workDir, "platform");
    mkdirSync(installDir);
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        delivered.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const install = async () => {
      // `npm pack` runs prepack, which builds dist/ with tsc: the tarball carries the build.
      await exec("npm", ["pack", "--pack-destination", workDir], { cwd: PACKAGE_DIR });
      const tarball = readdirSync(workDir).find((name) => name.endsWith(".tgz"));
      if (!tarball) throw new Error("npm pack made no tarball");
      await exec("npm", ["install", "--offline", "--no-audit", "--no-fund", path.join(workDir, tarball)], { cwd: installDir });
    };
    [relay] = await Promise.all([sharedRelay(), install()]);
  }, 600_000);

  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it("is a public ESM package with openapi-fetch as its one runtime dependency, for Node 20 or later", () => {
    expect(manifest.private).toBeUndefined();
    expect(manifest.type).toBe("module");
    expect(Object.keys(manifest.dependencies)).toEqual(["openapi-fetch"]);
    expect(manifest.engines.node).toBe(">=20");
  });

  it("ships its build, type declarations, README and LICENSE in the tarball", () => {
    const installed = path.join(installDir, "node_modules/@edgehook/client");
    for (const file of ["dist/index.js", "dist/index.d.ts", "dist/api-types.d.ts", "README.md", "LICENSE"]) {
      expect(existsSync(path.join(installed, file)), file).toBe(true);
    }
  });

  it("sends a message with a tenant API key and polls it until its delivery succeeded", async () => {
    const script = `
      import { createClient } from "@edgehook/client";
      const [baseUrl, adminToken, receiverUrl] = process.argv.slice(1);
      const admin = createClient({ baseUrl, apiKey: adminToken });
      const { data: tenant } = await admin.api.POST("/v1/tenants", { body: { name: "Package test" } });
      const { data: key } = await admin.api.POST("/v1/tenants/{tenant_id}/api-keys", { params: { path: { tenant_id: tenant.id } }, body: {} });
      const edgehook = createClient({ baseUrl, apiKey: key.key });
      await edgehook.endpoints.create(tenant.id, { url: receiverUrl });
      const sent = await edgehook.messages.send(tenant.id, { event: "invoice.paid", payload: { invoice: "inv_42", amount: 1999 } });
      let message;
      for (let poll = 0; poll < 120; poll++) {
        message = await edgehook.messages.get(tenant.id, sent.id);
        if (message.deliveries.every((d) => d.status === "succeeded")) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      console.log(JSON.stringify({ sent: sent.id, polled: message.id, payload: message.payload, statuses: message.deliveries.map((d) => d.status) }));`;
    const { url, adminToken } = relay;
    const result = JSON.parse(await runInPackage(script, url, adminToken, receiverUrl));
    expect(result).toEqual({ sent: expect.any(String), polled: result.sent, payload: { invoice: "inv_42", amount: 1999 }, statuses: ["succeeded"] });
    expect(delivered).toContain('{"invoice":"inv_42","amount":1999}');
  });

  it("throws an EdgehookError with the relay's status and code for a message that does not exist", async () => {
    const script = `
      import { createClient, EdgehookError } from "@edgehook/client";
      const [baseUrl, adminToken] = process.argv.slice(1);
      const edgehook = createClient({ baseUrl, apiKey: adminToken });
      const { data: tenant } = await edgehook.api.POST("/v1/tenants", { body: { name: "Errors" } });
      try {
        await edgehook.messages.get(tenant.id, "0193a5b0-0000-7000-8000-000000000000");
      } catch (error) {
        console.log(JSON.stringify({ isEdgehookError: error instanceof EdgehookError, status: error.status, code: error.code }));
      }`;
    const { url, adminToken } = relay;
    expect(JSON.parse(await runInPackage(script, url, adminToken))).toEqual({ isEdgehookError: true, status: 404, code: "not_found" });
  });

  it("gives TypeScript users its types: a message without an event does not compile", async () => {
    writeFileSync(
      path.join(installDir, "send.mts"),
      `import { createClient, type Schema } from "@edgehook/client";
const edgehook = createClient({ baseUrl: "http://127.0.0.1:8787", apiKey: "key" });
const sent: Schema<"EnqueuedMessage"> = await edgehook.messages.send("acme", { event: "invoice.paid", payload: {} });
// @ts-expect-error: event is required
await edgehook.messages.send("acme", { payload: {} });
export { sent };
`,
    );
    const options = ["--noEmit", "--strict", "--module", "nodenext", "--target", "es2022", "--lib", "es2022,dom"];
    const { stdout } = await exec(process.execPath, [TSC, ...options, "send.mts"], { cwd: installDir }).catch((error) => error);
    expect(stdout).toBe("");
  });
});
