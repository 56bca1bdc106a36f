import { createHmac } from "node:crypto";
import { verify as githubVerify } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { PREVIOUS_SIGNATURES_HEADER, verifyWebhook } from "../src/verify/index.ts";
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

const GITHUB = { scheme: "hmac-sha256", header: "X-Hub-Signature-256", prefix: "sha256=" } as const;

describe("rotating the secret of a single-signature (hmac-sha256) endpoint", () => {
  /** An endpoint with `signature`, its secret rotated `times` times with a grace period, and one delivery to it. */
  async function rotatedDelivery(signature: Record<string, string>, times = 1) {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}`, signature });
    const secrets = [endpoint.secret as string];
    for (let i = 0; i < times; i++) {
      const rotated = await apiJson("POST", `/v1/tenants/${id}/endpoints/${endpoint.id}/secret/rotate`, { body: { grace_period_seconds: 3600 } });
      secrets.unshift(rotated.body.secret);
    }
    const { request } = await deliverOne(id, name, { ref: "main" });
    return { request, current: secrets[0]!, older: secrets.slice(1) };
  }

  it("GitHub's own verifier accepts the delivery with the new secret: the header holds exactly one signature", async () => {
    const { request, current } = await rotatedDelivery(GITHUB);
    const header = request.headers["x-hub-signature-256"]!;
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(await githubVerify(current, request.body, header)).toBe(true);
  });

  it("the old secret's signature travels in webhook-previous-signatures, where GitHub's verifier accepts it", async () => {
    const { request, older } = await rotatedDelivery(GITHUB);
    expect(await githubVerify(older[0]!, request.body, request.headers["x-hub-signature-256"]!)).toBe(false);
    expect(await githubVerify(older[0]!, request.body, request.headers[PREVIOUS_SIGNATURES_HEADER]!)).toBe(true);
  });

  it.each([
    ["the default X-Webhook-Signature header", { scheme: "hmac-sha256" }, "x-webhook-signature"],
    ["Mindee's header", { scheme: "hmac-sha256", header: "X-Mindee-Hmac-Signature" }, "x-mindee-hmac-signature"],
  ])("with %s, the header holds one signature and every older secret in its grace period signs in the companion header", async (_name, signature, header) => {
    const { request, older } = await rotatedDelivery(signature, 2);
    expect(request.headers[header]).toMatch(/^[0-9a-f]{64}$/);
    const previous = request.headers[PREVIOUS_SIGNATURES_HEADER]!.split(", ");
    expect(previous).toHaveLength(2);
    for (const [i, secret] of older.entries()) {
      expect(previous[i]).toBe(createHmac("sha256", secret).update(request.body).digest("hex"));
    }
  });

  it("edgehook/verify accepts the delivery with the new secret and with the old one", async () => {
    const { request, current, older } = await rotatedDelivery(GITHUB);
    for (const secret of [current, older[0]!]) {
      await expect(verifyWebhook(request.body, request.headers, { ...GITHUB, secret })).resolves.toMatchObject({ scheme: "hmac-sha256" });
    }
  });

  it("without a rotation there is no companion header", async () => {
    const { request } = await rotatedDelivery(GITHUB, 0);
    expect(request.headers[PREVIOUS_SIGNATURES_HEADER]).toBeUndefined();
  });
});
