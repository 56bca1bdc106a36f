import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRelay, type LocalRelay } from "../../scripts/local-relay";

describe("the relay under wrangler dev", () => {
  let relay: LocalRelay;
  beforeAll(async () => {
    relay = await startRelay();
  });
  afterAll(async () => relay?.stop());

  it("serves the API on the .dev.vars.example admin token with migrations applied", async () => {
    const res = await fetch(`${relay.url}/v1/tenants`, {
      method: "POST",
      headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Dev tenant" }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { name: string }).name).toBe("Dev tenant");
  });

  it("accepts a localhost endpoint, as .dev.vars.example allows private targets", async () => {
    const tenant = await (await fetch(`${relay.url}/v1/tenants`, {
      method: "POST",
      headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Dev tenant" }),
    })).json() as { id: string };
    const res = await fetch(`${relay.url}/v1/tenants/${tenant.id}/endpoints`, {
      method: "POST",
      headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "http://localhost:9000/webhooks" }),
    });
    expect(res.status).toBe(201);
  });
});
