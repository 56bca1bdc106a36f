import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT, run } from "./support/processes";

const SMOKE = path.join(ROOT, "scripts/smoke.ts");
const ADMIN = "smoke-admin-token";

/**
 * A stand-in for a deployed relay, speaking just the routes the smoke test calls: the smoke test's
 * own logic (its steps, its words on failure, its clean-up) is what is under test here, and the
 * relay's side of the same routes is covered in workerd; a real `wrangler dev` would add half a
 * minute of start-up per run on this machine for nothing the fake cannot show.
 * `mode` makes it misbehave: sign with another secret, or never deliver.
 */
async function fakeRelay(mode: "ok" | "wrong-signature" | "never-delivers" = "ok") {
  const state = { tenants: new Set<string>(), deleted: [] as string[], endpoints: new Map<string, { url: string; secret: string }>(), statuses: new Map<string, string>() };
  const secret = () => `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64")}`;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const send = (status: number, json?: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(json === undefined ? "" : JSON.stringify(json));
    const url = req.url ?? "/";
    if (url === "/health") return send(200, { ok: true });
    if (req.headers.authorization !== `Bearer ${ADMIN}`) return send(401, { error: { code: "unauthorized", message: "Missing or invalid credentials" } });
    let m: RegExpMatchArray | null;
    if (req.method === "POST" && url === "/v1/tenants") {
      state.tenants.add(body.id);
      return send(201, { id: body.id, name: body.name });
    }
    if (req.method === "POST" && (m = url.match(/^\/v1\/tenants\/([^/]+)\/endpoints$/))) {
      const id = crypto.randomUUID();
      state.endpoints.set(m[1]!, { url: body.url, secret: secret() });
      return send(201, { id, url: body.url, secret: state.endpoints.get(m[1]!)!.secret });
    }
    if (req.method === "POST" && (m = url.match(/^\/v1\/tenants\/([^/]+)\/messages$/))) {
      const id = crypto.randomUUID();
      state.statuses.set(id, "pending");
      send(202, { id });
      if (mode === "never-delivers") return;
      const endpoint = state.endpoints.get(m[1]!)!;
      const text = JSON.stringify(body.payload);
      const signer = new Webhook(mode === "wrong-signature" ? secret() : endpoint.secret);
      const timestamp = new Date();
      const delivered = await fetch(endpoint.url, {
        method: "POST",
        headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)), "webhook-signature": signer.sign(id, timestamp, text) },
        body: text,
      });
      state.statuses.set(id, delivered.ok ? "succeeded" : "failed");
      return;
    }
    if (req.method === "GET" && (m = url.match(/^\/v1\/tenants\/[^/]+\/messages\/([^/]+)$/))) {
      return send(200, { id: m[1], deliveries: [{ status: state.statuses.get(m[1]!), last_error: null, last_status_code: null }] });
    }
    if (req.method === "DELETE" && (m = url.match(/^\/v1\/tenants\/([^/]+)$/))) {
      state.deleted.push(m[1]!);
      return send(204);
    }
    send(404, { error: { code: "not_found", message: "no route" } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe("npm run smoke", () => {
  it("passes against a relay that delivers the message signed with the endpoint's secret, and deletes its tenant", async () => {
    const relay = await fakeRelay();
    const { code, stdout } = await run(SMOKE, [relay.url, ADMIN]);
    expect(code).toBe(0);
    expect(stdout).toContain("✓ the receiver got the payload, and its signature verifies with the endpoint's secret");
    expect(stdout).toContain("Smoke test passed");
    expect(relay.state.deleted).toEqual([...relay.state.tenants]);
  });

  it("says the admin token is wrong when the relay refuses it", async () => {
    const relay = await fakeRelay();
    const { code, stderr } = await run(SMOKE, [relay.url, "not-the-token"]);
    expect(code).toBe(1);
    expect(stderr).toContain("✗ create tenant: POST /v1/tenants answered 401 unauthorized: Missing or invalid credentials (is the admin token the Worker's ADMIN_TOKEN secret?)");
  });

  it("says the signature does not verify when the delivery is signed with another secret, and still deletes the tenant", async () => {
    const relay = await fakeRelay("wrong-signature");
    const { code, stderr } = await run(SMOKE, [relay.url, ADMIN]);
    expect(code).toBe(1);
    expect(stderr).toContain("✗ signature: the delivery's signature does not verify with the endpoint's secret");
    expect(relay.state.deleted).toHaveLength(1);
  });

  it("says the delivery never succeeded, with its status, when the relay never delivers", async () => {
    const relay = await fakeRelay("never-delivers");
    const { code, stderr } = await run(SMOKE, [relay.url, ADMIN, "--timeout", "2"]);
    expect(code).toBe(1);
    expect(stderr).toContain('✗ delivery: after 2 s its status is "pending"; the queue consumer has not delivered it');
    expect(relay.state.deleted).toHaveLength(1);
  });

  it("says the relay cannot be reached when nothing listens at the URL", async () => {
    const { code, stderr } = await run(SMOKE, ["http://127.0.0.1:9", ADMIN]);
    expect(code).toBe(1);
    expect(stderr).toContain("✗ health: the relay at http://127.0.0.1:9 could not be reached");
  });

  it("prints its usage without a URL and token", async () => {
    const { code, stderr } = await run(SMOKE, ["https://only-a-url.example"]);
    expect(code).toBe(2);
    expect(stderr).toContain("Usage: npm run smoke -- <url> <admin token>");
  });
});
