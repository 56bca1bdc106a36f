import { describe, expect, it } from "vitest";
import { verifyWebhook } from "../src/verify/index.ts";
import { apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl } from "./support/api";

/** Enqueues one message through the API and waits until the receiver bucket has it. */
async function deliverOne(tenantId: string, name: string, payload: unknown) {
  const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "document.predicted", payload } });
  expect(res.status).toBe(202);
  const [request] = await eventually(async () => (await received(name)).length === 1 && received(name));
  return { message: res.body, request: request! };
}

describe("edgehook/verify on real deliveries", () => {
  it("verifies a standard-scheme delivery as the receiver got it", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const { message, request } = await deliverOne(id, name, { document: { id: "d1" }, text: "Grüße" });
    const verified = await verifyWebhook(request.body, request.headers, { secret: endpoint.secret });
    expect(verified.id).toBe(message.id);
  });

  it("verifies an hmac-sha256 delivery with the endpoint's header and prefix", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const signature = { scheme: "hmac-sha256", header: "X-Hub-Signature-256", prefix: "sha256=" } as const;
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}`, signature });
    const { message, request } = await deliverOne(id, name, { ref: "main" });
    const verified = await verifyWebhook(request.body, request.headers, { ...signature, secret: endpoint.secret });
    expect(verified).toMatchObject({ scheme: "hmac-sha256", id: message.id });
  });

  it("verifies a delivery made during a rotation with the old secret and with the new one", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const rotated = await apiJson("POST", `/v1/tenants/${id}/endpoints/${endpoint.id}/secret/rotate`, { body: {} });
    const { request } = await deliverOne(id, name, { n: 1 });
    expect(request.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    for (const secret of [endpoint.secret, rotated.body.secret]) {
      await expect(verifyWebhook(request.body, request.headers, { secret })).resolves.toBeTruthy();
    }
  });
});
