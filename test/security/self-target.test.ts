import { describe, expect, it } from "vitest";
import { relayOriginOf, withRelayOrigin } from "../../src/relay-origin";
import { checkTarget, type TargetPolicy } from "../../src/security/target-guard";
import { apiJson, bucket, newEndpoint, newTenant, receiverUrl } from "../support/api";
import { tenantRows } from "./support";

/** The origin test requests reach the relay at (test/support/api.ts). */
const RELAY = "https://edgehook.test";
const LOCAL_DEV: TargetPolicy = { allowPrivate: true, requireHttps: false };

describe("an endpoint URL that points at the relay itself is refused", () => {
  it("on create, update and as a webhook_url: 400 self_target naming the field, nothing stored", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const before = await tenantRows(id);
    const url = `${RELAY}/v1/tenants/${id}/messages`;
    const created = await apiJson("POST", `/v1/tenants/${id}/endpoints`, { body: { url } });
    const updated = await apiJson("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { url } });
    const enqueued = await apiJson("POST", `/v1/tenants/${id}/messages`, { body: { event: "x", payload: 1, webhook_url: url } });
    expect([created.status, updated.status, enqueued.status]).toEqual([400, 400, 400]);
    expect([created, updated, enqueued].map((r) => r.body.error.code)).toEqual(["self_target", "self_target", "self_target"]);
    expect(created.body.error.issues).toEqual([{ path: "url", message: expect.stringContaining(RELAY) }]);
    expect(await tenantRows(id)).toEqual(before);
  });

  it("a relay on localhost refuses 127.0.0.1 and [::1] on its port", async () => {
    const policy = { ...LOCAL_DEV, selfOrigin: "http://localhost:8787" };
    for (const url of ["http://localhost:8787/webhooks", "http://127.0.0.1:8787/webhooks", "http://[::1]:8787/"]) {
      expect((await checkTarget(url, policy))?.code, url).toBe("self_target");
    }
  });

  it("a receiver on another port of the same machine is accepted", async () => {
    const policy = { ...LOCAL_DEV, selfOrigin: "http://localhost:8787" };
    expect(await checkTarget("http://localhost:8788/webhooks", policy)).toBeNull();
    expect(await checkTarget("http://127.0.0.1:9000/webhooks", policy)).toBeNull();
  });

  it("another host on the relay's port is accepted: only the relay's own server is refused", async () => {
    expect(await checkTarget("https://hooks.example.org/in", { ...LOCAL_DEV, selfOrigin: "https://edgehook.example.com" })).toBeNull();
  });
});

describe("the relay's origin on the env of a request", () => {
  const base = { ALLOW_PRIVATE_TARGETS: "true" } as unknown as Env;

  it("is read back as set, and is absent outside a request", () => {
    expect(relayOriginOf(withRelayOrigin(base, "http://localhost:8787"))).toBe("http://localhost:8787");
    expect(relayOriginOf(base)).toBeUndefined();
  });

  it("gives one env object per origin, so what is cached per env (the parsed config) stays cached", () => {
    expect(withRelayOrigin(base, "https://a.example")).toBe(withRelayOrigin(base, "https://a.example"));
    expect(withRelayOrigin(base, "https://a.example")).not.toBe(withRelayOrigin(base, "https://b.example"));
  });

  it("keeps no more than a few origins per env: Host headers a caller invents do not grow the cache", () => {
    const env = { ...base } as Env;
    for (let i = 0; i < 20; i++) withRelayOrigin(env, `https://h${i}.example`);
    expect(withRelayOrigin(env, "https://h19.example")).not.toBe(withRelayOrigin(env, "https://h19.example"));
    expect(withRelayOrigin(env, "https://h0.example")).toBe(withRelayOrigin(env, "https://h0.example"));
  });
});
