import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEV_ADMIN_TOKEN, freePort } from "../../scripts/local-relay";
import { startNpmDev, type DevServer } from "./support/processes";
import { sharedRelay, type SharedRelay } from "./support/shared-relay";

/** Creates a tenant through a relay's API; returns the response. */
function createTenant(url: string, adminToken: string) {
  return fetch(`${url}/v1/tenants`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Dev tenant" }),
  });
}

describe("the relay under wrangler dev", () => {
  let relay: SharedRelay;
  beforeAll(async () => {
    relay = await sharedRelay();
  }, 300_000);

  it("serves the API on the .dev.vars.example admin token with migrations applied", async () => {
    const res = await createTenant(relay.url, relay.adminToken);
    expect(res.status).toBe(201);
    expect(((await res.json()) as { name: string }).name).toBe("Dev tenant");
  });

  it("accepts a localhost endpoint, as .dev.vars.example allows private targets", async () => {
    const tenant = (await (await createTenant(relay.url, relay.adminToken)).json()) as { id: string };
    const res = await fetch(`${relay.url}/v1/tenants/${tenant.id}/endpoints`, {
      method: "POST",
      headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "http://localhost:9000/webhooks" }),
    });
    expect(res.status).toBe(201);
  });
});

describe("npm run dev -- --persist-to DIR", () => {
  let dev: ChildProcess;
  let server: DevServer;
  const state = mkdtempSync(path.join(tmpdir(), "edgehook-dev-state-"));
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const args = ["--persist-to", state, "--port", String(port), "--ip", "127.0.0.1", "--env-file", ".dev.vars.example"];
    server = startNpmDev(args);
    dev = server.child;
    await server.ready(url);
  }, 200_000);

  afterAll(async () => {
    if (dev?.pid && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev.once("exit", resolve));
      process.kill(-dev.pid, "SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (dev.exitCode === null) process.kill(-dev.pid, "SIGKILL");
    }
    rmSync(state, { recursive: true, force: true });
  });

  it("ends with a banner naming the URL it answers on and the admin token, without wrangler's info noise before it", async () => {
    await vi.waitUntil(() => server.output().includes("Edgehook relay ready"), { timeout: 10_000 });
    const output = server.output();
    expect(output).toContain(`Edgehook relay ready on ${url}`);
    expect(output).toMatch(/Admin token +dev-admin-token/);
    expect(output).not.toContain("Your Worker has access to the following bindings");
    expect(output).not.toContain("Migrations to be applied");
  });

  it("migrates the state folder the dev server uses, so the API works there from the first request", async () => {
    const res = await createTenant(url, DEV_ADMIN_TOKEN);

    expect(res.status).toBe(201);
    expect(readdirSync(state)).toContain("v3");
  });
});
