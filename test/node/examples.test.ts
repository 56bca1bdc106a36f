import { createHmac } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/local-relay";
import { ROOT, start, type Running } from "./support/processes";

const EXAMPLES = path.join(ROOT, "examples");
/** Ports a developer already has taken while following the docs: the relay and the local receiver. */
const TAKEN = [8787, 9000];

/** The port an example listens on by default: its wrangler.toml's `[dev] port`, or its server's PORT default. */
function defaultPort(example: string): number {
  const dir = path.join(EXAMPLES, example);
  const files = readdirSync(dir);
  if (files.includes("wrangler.toml")) {
    const port = /^\[dev\][^[]*?^port\s*=\s*(\d+)/m.exec(readFileSync(path.join(dir, "wrangler.toml"), "utf8"))?.[1];
    return port ? Number(port) : 8787; // wrangler dev's own default
  }
  return Number(/process\.env\.PORT \?\? (\d+)/.exec(readFileSync(path.join(dir, "server.mjs"), "utf8"))![1]);
}

describe("the receiver examples run beside a running relay", () => {
  const examples = readdirSync(EXAMPLES);
  const running: Running[] = [];
  afterAll(async () => {
    for (const child of running) await child.stop();
  });

  it.each(examples)("%s listens on a port the relay and the local receiver do not use", (example) => {
    expect(TAKEN).not.toContain(defaultPort(example));
  });

  it.each(examples)("%s's README installs nothing at the repository root (no `npm ci --prefix ../..` under a running relay)", (example) => {
    const readme = readFileSync(path.join(EXAMPLES, example, "README.md"), "utf8");
    expect(readme).not.toMatch(/--prefix\s+\.\.\/\.\./);
    expect(readme).toContain(String(defaultPort(example)));
  });

  it("the node-http example, its edgehook linked to the repository as `npm install` links it, accepts a signed delivery and refuses a forged one", async () => {
    // A copy with node_modules/edgehook → the repository: what `npm install` makes of "file:../..".
    const dir = mkdtempSync(path.join(tmpdir(), "edgehook-example-"));
    cpSync(path.join(EXAMPLES, "node-http"), dir, { recursive: true });
    mkdirSync(path.join(dir, "node_modules"));
    symlinkSync(ROOT, path.join(dir, "node_modules", "edgehook"));
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const port = await freePort();
    const server = start(path.join(dir, "server.mjs"), [], { WEBHOOK_SECRET: secret, PORT: String(port) });
    running.push(server);
    await server.waitFor("Node receiver on");

    const body = '{"document_id":"doc_1"}';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const sign = (key: string) => createHmac("sha256", Buffer.from(key.slice(6), "base64")).update(`m1.${timestamp}.${body}`).digest("base64");
    const send = (signature: string) =>
      fetch(`http://127.0.0.1:${port}/webhooks`, {
        method: "POST",
        headers: { "content-type": "application/json", "webhook-id": "m1", "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` },
        body,
      });
    expect((await send(sign(secret))).status).toBe(204);
    expect((await send(sign("whsec_" + Buffer.alloc(24, 1).toString("base64")))).status).toBe(401);
  });
});
