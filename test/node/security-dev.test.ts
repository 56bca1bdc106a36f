import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRelay, type LocalRelay } from "../../scripts/local-relay";

/** `npm run dev -- --var ALLOW_PRIVATE_TARGETS:false` turns the target guard on (README "Two commands"). */
describe("wrangler dev with ALLOW_PRIVATE_TARGETS:false", () => {
  let relay: LocalRelay;
  let tenant: string;
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${relay.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    relay = await startRelay({ ALLOW_PRIVATE_TARGETS: "false" });
    tenant = ((await (await call("POST", "/v1/tenants", { name: "Guarded" })).json()) as { id: string }).id;
  });
  afterAll(async () => relay?.stop());

  it.each([
    ["http://localhost/webhooks", "private_target"],
    ["http://127.1/webhooks", "private_target"],
    ["http://[::ffff:127.0.0.1]/webhooks", "private_target"],
    ["http://example.com:9000/webhooks", "blocked_port"],
  ])("refuses %s with 400 %s", async (url, code) => {
    const res = await call("POST", `/v1/tenants/${tenant}/endpoints`, { url });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it("still accepts a public hostname, since local runs do not resolve names (DOH_URL is empty)", async () => {
    const res = await call("POST", `/v1/tenants/${tenant}/endpoints`, { url: "https://example.com/webhooks" });
    expect(res.status).toBe(201);
  });
});
