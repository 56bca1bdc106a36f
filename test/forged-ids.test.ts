import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { tenantBucket } from "../src/lib/ids";
import { R2_PAYLOAD_THRESHOLD_BYTES } from "../src/limits";
import { payloadKey } from "../src/payloads";
import { api, apiJson, newTenant } from "./support/api";
import { DashboardClient } from "./support/dashboard-client";
import { shardIndexOf } from "./support/shards";
import { enqueueHeld } from "./support/worker";

/**
 * Ids a caller can make up: message and delivery ids carry a key (tenant bucket, millisecond,
 * sequence) and an ordinal, so every route that takes one must treat a forged or malformed one as
 * "no such thing" — a 404 in the one error shape — and never reach another tenant's rows, even a
 * tenant whose id hashes to the same 15-bit bucket.
 */

const NOT_FOUND = { error: { code: "not_found", message: expect.any(String) } };

/** A tenant id, salted with `salt`, whose bucket is the same as `tenantId`'s. */
function idInSameBucket(tenantId: string, salt: string): string {
  const target = tenantBucket(tenantId);
  for (let i = 0; ; i++) if (tenantBucket(`${salt}-${i}`) === target) return `${salt}-${i}`;
}

/** A second tenant on the same shard as `tenantId` and in the same bucket, with an API key. */
async function neighbourInSameBucket(tenantId: string): Promise<{ id: string; key: string }> {
  const shard = await shardIndexOf(tenantId);
  for (let n = 0; ; n++) {
    const id = idInSameBucket(tenantId, `nb${crypto.randomUUID().slice(0, 6)}${n}`);
    expect((await apiJson("POST", "/v1/tenants", { body: { name: "Neighbour", id } })).status).toBe(201);
    if ((await shardIndexOf(id)) === shard) {
      return { id, key: (await apiJson("POST", `/v1/tenants/${id}/api-keys`, { body: {} })).body.key };
    }
  }
}

/** Every API route that takes a message or delivery id, for tenant `t`. */
const idRoutes = (t: string, id: string): Array<[string, string]> => [
  ["GET", `/v1/tenants/${t}/messages/${id}`],
  ["GET", `/v1/tenants/${t}/deliveries/${id}`],
  ["POST", `/v1/tenants/${t}/deliveries/${id}/retry`],
];

describe("forged and malformed message and delivery ids", () => {
  it("a message's id used as a delivery id is a 404 on every delivery route, API and dashboard, never a 500", async () => {
    const tenant = await newTenant();
    const { message } = await enqueueHeld(tenant.id, { event: "x", payload: 1, webhook_url: "https://example.com/hook" });

    for (const path of [`deliveries/${message.id}`, `deliveries/${message.id}/retry`]) {
      const res = await apiJson(path.endsWith("retry") ? "POST" : "GET", `/v1/tenants/${tenant.id}/${path}`);
      expect([path, res.status, res.body]).toEqual([path, 404, NOT_FOUND]);
    }
    const browser = new DashboardClient();
    await browser.signIn(tenant.key);
    expect((await browser.get(`/dashboard/deliveries/${message.id}`)).status).toBe(404);
  });

  it("ids with another version, a time before the key epoch or far in the future, or the largest ordinal are 404s", async () => {
    const tenant = await newTenant();
    const { message } = await enqueueHeld(tenant.id, { event: "x", payload: 1, webhook_url: "https://example.com/hook" });
    const real = message.id.replace(/-/g, "");
    const asUuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const forged = [
      asUuid(`${real.slice(0, 12)}4${real.slice(13, 28)}0001`), // version 4, otherwise the real delivery
      asUuid(`000000000001${real.slice(12, 28)}0001`), // 1970
      asUuid(`ffffffffffff${real.slice(12, 28)}0001`), // year 10889
      asUuid(`${real.slice(0, 28)}ffff`), // ordinal 65,534
      asUuid(`${real.slice(0, 28)}0002`), // one past the message's only delivery
      "00000000-0000-0000-0000-000000000000",
      "ffffffff-ffff-ffff-ffff-ffffffffffff",
    ];
    for (const id of forged) {
      for (const [method, path] of idRoutes(tenant.id, id)) {
        const res = await apiJson(method, path);
        expect([method, path, res.status, res.body]).toEqual([method, path, 404, NOT_FOUND]);
      }
      const listed = await apiJson("GET", `/v1/tenants/${tenant.id}/deliveries?message_id=${id}`);
      expect(listed).toMatchObject({ status: 200, body: { data: [] } });
    }
  });

  it("a tenant in the same bucket and on the same shard can neither read, list, nor replay another's message or delivery", async () => {
    const owner = await newTenant();
    const neighbour = await neighbourInSameBucket(owner.id);
    expect(tenantBucket(neighbour.id)).toBe(tenantBucket(owner.id));
    const { message } = await enqueueHeld(owner.id, { event: "x", payload: { private: true }, webhook_url: "https://example.com/hook" });
    const deliveryId = message.deliveries[0]!.id;
    const asNeighbour = { token: neighbour.key };

    for (const [method, path] of [...idRoutes(neighbour.id, message.id), ...idRoutes(neighbour.id, deliveryId)]) {
      const res = await apiJson(method, path, asNeighbour);
      expect([method, path, res.status, res.body]).toEqual([method, path, 404, NOT_FOUND]);
    }
    for (const list of ["messages", "deliveries", `deliveries?message_id=${message.id}`]) {
      expect(await apiJson("GET", `/v1/tenants/${neighbour.id}/${list}`, asNeighbour)).toMatchObject({ status: 200, body: { data: [] } });
    }
    expect((await apiJson("GET", `/v1/tenants/${owner.id}/deliveries/${deliveryId}`)).body).toMatchObject({ status: "pending", attempt_count: 0 });
  });

  it("deleting a tenant leaves the messages, deliveries and R2 payloads of a tenant in the same bucket", async () => {
    const owner = await newTenant();
    const neighbour = await neighbourInSameBucket(owner.id);
    const digits = Array.from(crypto.getRandomValues(new Uint8Array(3 * R2_PAYLOAD_THRESHOLD_BYTES)), (b) => b % 10).join("");
    const { message } = await enqueueHeld(owner.id, { event: "x", payload: { blob: digits }, webhook_url: "https://example.com/hook" });
    await enqueueHeld(neighbour.id, { event: "x", payload: { blob: digits }, webhook_url: "https://example.com/hook" });

    expect((await env.PAYLOADS.list({ prefix: `payloads/${neighbour.id}/` })).objects).toHaveLength(1);
    expect((await api("DELETE", `/v1/tenants/${neighbour.id}`)).status).toBe(204);

    const polled = await apiJson("GET", `/v1/tenants/${owner.id}/messages/${message.id}`);
    expect(polled).toMatchObject({ status: 200, body: { payload: { blob: digits }, deliveries: [{ id: message.deliveries[0]!.id }] } });
    expect(await env.PAYLOADS.head(payloadKey(owner.id, message.id))).not.toBeNull();
    expect((await env.PAYLOADS.list({ prefix: `payloads/${neighbour.id}/` })).objects).toEqual([]);
  });
});
