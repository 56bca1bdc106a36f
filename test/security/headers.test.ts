import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/lib/base64";
import { apiJson, bucket, newEndpoint, newTenant, received, receiverUrl } from "../support/api";
import { callWorker } from "./support";
import { holdingQueue, consume } from "../support/worker";
import { shardOf } from "../support/shards";

/** Headers written straight into D1, as a row stored before today's rules (or by a bug) could hold them. */
const SMUGGLED = {
  "Content-Type": "text/plain",
  "User-Agent": "evil/1.0",
  Host: "internal.example.com",
  "X-Forwarded-For": "10.0.0.1",
  "webhook-id": "msg_forged",
  "webhook-timestamp": "1",
  "webhook-signature": "v1,Zm9yZ2Vk",
};

/** Creates an endpoint on the receiver, overwrites its stored headers, delivers one message, returns what arrived. */
async function deliverWithStoredHeaders(endpointBody: Record<string, unknown>, storedHeaders: Record<string, string>) {
  const { id } = await newTenant();
  const name = bucket();
  const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}`, ...endpointBody });
  await (await shardOf(id)).prepare("UPDATE endpoints SET headers = ? WHERE id = ?").bind(JSON.stringify(storedHeaders), endpoint.id).run();
  const capture = holdingQueue();
  const sent = await callWorker({ ...env, DELIVERIES: capture.queue }, "POST", `/v1/tenants/${id}/messages`, {
    body: { event: "document.predicted", payload: { document: "doc_1" }, endpoint_ids: [endpoint.id] },
  });
  await consume(capture.sent, { env: env });
  const delivery = await apiJson("GET", `/v1/tenants/${id}/deliveries/${sent.body.deliveries[0].id}`);
  expect(delivery.body.status).toBe("succeeded");
  const [request] = await received(name);
  return { request: request!, secret: endpoint.secret as string, messageId: sent.body.id as string };
}

describe("Edgehook's own headers always win over custom ones", () => {
  it("standard scheme: the receiver gets the real content type, user agent, host and a signature that verifies", async () => {
    const { request, secret, messageId } = await deliverWithStoredHeaders({}, { ...SMUGGLED, Authorization: "Bearer receiver-token" });
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["user-agent"]).toMatch(/^Edgehook\//);
    expect(request.headers.host).toBe(new URL(receiverUrl()).host);
    expect(request.headers["x-forwarded-for"]).toBeUndefined();
    expect(request.headers["webhook-id"]).toBe(messageId);
    expect(new Webhook(secret).verify(request.body, request.headers)).toEqual({ document: "doc_1" });
    expect(request.headers.authorization).toBe("Bearer receiver-token");
  });

  it("hmac-sha256 scheme: a stored header named like the signature header is replaced by the real signature", async () => {
    const { request, secret } = await deliverWithStoredHeaders(
      { signature: { scheme: "hmac-sha256", header: "X-Sig", prefix: "sha256=" } },
      { ...SMUGGLED, "X-Sig": "sha256=forged", "X-Tenant": "acme" },
    );
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const expected = toHex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(request.body)));
    expect(request.headers["x-sig"]).toBe(`sha256=${expected}`);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["webhook-signature"]).toBeUndefined();
    expect(request.headers["x-tenant"]).toBe("acme");
  });

  it("a stored header value with CR/LF is dropped instead of breaking the delivery", async () => {
    const { request } = await deliverWithStoredHeaders({}, { "X-Bad": "a\r\nX-Injected: 1", "X-Good": "kept" });
    expect(request.headers["x-bad"]).toBeUndefined();
    expect(request.headers["x-injected"]).toBeUndefined();
    expect(request.headers["x-good"]).toBe("kept");
  });
});

describe("custom header rules on write", () => {
  it("an ordinary Authorization header and a GitHub-style signature header are accepted", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${id}/endpoints`, {
      body: {
        url: "https://example.com/hook",
        headers: { Authorization: "Bearer t", "X-Request-Source": "edgehook\tv1" },
        signature: { scheme: "hmac-sha256", header: "X-Hub-Signature-256", prefix: "sha256=" },
      },
    });
    expect(res.status).toBe(201);
  });

  it("each refused header is named in the issues", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${id}/endpoints`, {
      body: { url: "https://example.com/hook", headers: { Host: "x", "X-Ok": "1", "Content-Length": "2" } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["headers.Host", "headers.Content-Length"]);
  });
});
