import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyWebhook } from "../src/verify/index.ts";
import { apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import type { ReceivedRequest } from "./support/receiver";
import { callWorker } from "./security/support";

// The ed25519 scheme (Standard Webhooks `v1a`) end to end: the Worker signs with Web Crypto in
// workerd, the real receiver on 127.0.0.1 records the request, and Node's own crypto.verify
// (OpenSSL, in the receiver process) checks it with nothing but the endpoint's public key.

const WHPK = /^whpk_[A-Za-z0-9+/]{43}=$/;
const V1A = /^v1a,[A-Za-z0-9+/]{86}==$/;

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** A fresh Ed25519 key pair made outside Edgehook: the 32-byte seed and the `whpk_` public key. */
async function keyPair(): Promise<{ seed: Uint8Array; raw: Uint8Array; whsk: string; whpk: string }> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const seed = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer).slice(-32);
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  return { seed, raw, whsk: `whsk_${toBase64(seed)}`, whpk: `whpk_${toBase64(raw)}` };
}

/** For each request in the bucket, whether each of its v1a signatures verifies with `whpk` under Node's crypto.verify. */
async function nodeVerdicts(name: string, whpk: string): Promise<Array<{ id: string; v1a: boolean[] }>> {
  const res = await fetch(`${receiverUrl()}/_verify-ed25519/${name}?public_key=${encodeURIComponent(whpk)}`);
  return res.json();
}

/** Enqueues one message to the tenant's endpoints and waits until the receiver bucket has it. */
async function deliverOne(tenantId: string, name: string, payload: unknown = { document: { id: "d1" }, text: "Grüße ✓" }) {
  const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "document.predicted", payload } });
  expect(res.status).toBe(202);
  const [request] = await eventually(async () => (await received(name)).length === 1 && received(name));
  return { messageId: res.body.id as string, request: request! };
}

/** A tenant with one ed25519 endpoint pointing at a fresh receiver bucket. */
async function ed25519Endpoint(extra: Record<string, unknown> = {}) {
  const { id } = await newTenant();
  const name = bucket();
  const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}`, signature: { scheme: "ed25519" }, ...extra });
  return { tenantId: id, name, endpoint, base: `/v1/tenants/${id}/endpoints/${endpoint.id}` };
}

const v1aOf = (request: ReceivedRequest) => request.headers["webhook-signature"]!.split(" ");

afterEach(() => vi.restoreAllMocks());

describe("kind: an ed25519 endpoint's deliveries verify with its public key alone", () => {
  it("a delivery carries webhook-id, webhook-timestamp and one v1a signature that Node's own crypto.verify accepts with the endpoint's public_key", async () => {
    const { tenantId, name, endpoint } = await ed25519Endpoint();
    expect(endpoint.public_key).toMatch(WHPK);
    const { messageId, request } = await deliverOne(tenantId, name);
    expect(request.headers["webhook-id"]).toBe(messageId);
    expect(request.headers["webhook-timestamp"]).toMatch(/^\d{10}$/);
    expect(v1aOf(request)).toEqual([expect.stringMatching(V1A)]);
    expect(await nodeVerdicts(name, endpoint.public_key)).toEqual([{ id: messageId, v1a: [true] }]);
  });

  it("Node's crypto.verify refuses the delivery with another endpoint's public key", async () => {
    const { tenantId, name } = await ed25519Endpoint();
    const other = await ed25519Endpoint();
    await deliverOne(tenantId, name);
    expect((await nodeVerdicts(name, other.endpoint.public_key))[0]!.v1a).toEqual([false]);
  });

  it("edgehook/verify accepts the delivery with the public key, as the ed25519 scheme and as a whpk_ secret of the standard scheme", async () => {
    const { tenantId, name, endpoint } = await ed25519Endpoint();
    const { messageId, request } = await deliverOne(tenantId, name);
    await expect(verifyWebhook(request.body, request.headers, { scheme: "ed25519", publicKey: endpoint.public_key })).resolves.toMatchObject({
      scheme: "ed25519",
      id: messageId,
    });
    await expect(verifyWebhook(request.body, request.headers, { secret: endpoint.secret })).resolves.toMatchObject({ scheme: "ed25519" });
  });

  it("a whsk_ key supplied at creation is the one that signs: the endpoint shows its public key and Node verifies with it", async () => {
    const pair = await keyPair();
    const { tenantId, name, endpoint } = await ed25519Endpoint({ secret: pair.whsk });
    expect(endpoint.public_key).toBe(pair.whpk);
    await deliverOne(tenantId, name);
    expect((await nodeVerdicts(name, pair.whpk))[0]!.v1a).toEqual([true]);
  });

  it("a 64-byte whsk_ key (seed then public key, as libsodium and Svix export it) is taken as its seed", async () => {
    const pair = await keyPair();
    const long = `whsk_${toBase64(new Uint8Array([...pair.seed, ...pair.raw]))}`;
    const { endpoint } = await ed25519Endpoint({ secret: long });
    expect(endpoint.public_key).toBe(pair.whpk);
  });
});

describe("kind: the private key never leaves the relay", () => {
  it("creation, the endpoint, the list and GET …/secret show the whpk_ public key as secret and public_key, and never a whsk_ key", async () => {
    const pair = await keyPair();
    const { tenantId, endpoint, base } = await ed25519Endpoint({ secret: pair.whsk });
    const [one, list, secret] = await Promise.all([
      apiJson("GET", base),
      apiJson("GET", `/v1/tenants/${tenantId}/endpoints`),
      apiJson("GET", `${base}/secret`),
    ]);
    expect(endpoint.secret).toBe(pair.whpk);
    expect(one.body.public_key).toBe(pair.whpk);
    expect(list.body.data[0].public_key).toBe(pair.whpk);
    expect(secret.body).toEqual({ secret: pair.whpk, public_key: pair.whpk, previous: [] });
    expect(JSON.stringify([endpoint, one.body, list.body, secret.body])).not.toContain("whsk_");
  });

  it("KV holds the private key only inside the AES-GCM envelope, like every other secret", async () => {
    const pair = await keyPair();
    const { endpoint } = await ed25519Endpoint({ secret: pair.whsk });
    const stored = (await env.SECRETS.get(`secret:endpoint:${endpoint.id}`))!;
    expect(JSON.parse(stored)).toEqual({ v: 1, kid: "1", iv: expect.any(String), ct: expect.any(String) });
    expect(stored).not.toContain("whsk_");
    expect(stored).not.toContain(toBase64(pair.seed));
  });

  it("endpoints of the HMAC schemes have no public_key", async () => {
    const { id } = await newTenant();
    for (const scheme of ["standard", "hmac-sha256"]) {
      const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}`, signature: { scheme } });
      expect(endpoint).not.toHaveProperty("public_key");
      expect(endpoint.secret).toMatch(/^whsec_/);
    }
  });
});

describe("kind: rotating an ed25519 key keeps the old key signing for the grace period", () => {
  it("after a rotation with grace, a delivery carries two v1a signatures: Node verifies one with the old public key and the other with the new", async () => {
    const { tenantId, name, endpoint, base } = await ed25519Endpoint();
    const rotated = await apiJson("POST", `${base}/secret/rotate`, { body: { grace_period_seconds: 3600 } });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.public_key as string;
    expect(fresh).toMatch(WHPK);
    expect(fresh).not.toBe(endpoint.public_key);
    expect(rotated.body).toEqual({ secret: fresh, public_key: fresh, previous: [{ expires_at: expect.any(String), public_key: endpoint.public_key }] });
    expect((await apiJson("GET", base)).body.public_key).toBe(fresh);
    const { request } = await deliverOne(tenantId, name);
    expect(v1aOf(request)).toHaveLength(2);
    expect((await nodeVerdicts(name, fresh))[0]!.v1a).toEqual([true, false]);
    expect((await nodeVerdicts(name, endpoint.public_key))[0]!.v1a).toEqual([false, true]);
  });

  it("after a rotation with grace_period_seconds 0 only the new key signs", async () => {
    const { tenantId, name, endpoint, base } = await ed25519Endpoint();
    const rotated = await apiJson("POST", `${base}/secret/rotate`, { body: { grace_period_seconds: 0 } });
    expect(rotated.body.previous).toEqual([]);
    const { request } = await deliverOne(tenantId, name);
    await expect(verifyWebhook(request.body, request.headers, { scheme: "ed25519", publicKey: rotated.body.public_key })).resolves.toBeTruthy();
    await expect(verifyWebhook(request.body, request.headers, { scheme: "ed25519", publicKey: endpoint.public_key })).rejects.toMatchObject({
      code: "no_matching_signature",
    });
  });

  it("a rotation to a supplied whsk_ key signs with it", async () => {
    const pair = await keyPair();
    const { tenantId, name, base } = await ed25519Endpoint();
    const rotated = await apiJson("POST", `${base}/secret/rotate`, { body: { grace_period_seconds: 0, secret: pair.whsk } });
    expect(rotated.body.public_key).toBe(pair.whpk);
    await deliverOne(tenantId, name);
    expect((await nodeVerdicts(name, pair.whpk))[0]!.v1a).toEqual([true]);
  });
});

/** 31, 33 and 64 (mismatched) bytes, and text that is no key at all. */
async function malformedKeys(): Promise<Array<[string, string]>> {
  const a = await keyPair();
  const b = await keyPair();
  return [
    ["a 31-byte seed", `whsk_${toBase64(new Uint8Array(31).fill(7))}`],
    ["a 33-byte seed", `whsk_${toBase64(new Uint8Array(33).fill(7))}`],
    ["text that is not base64", "whsk_not base64 at all!"],
    ["an empty key", "whsk_"],
    ["a public key instead of the private one", a.whpk],
    ["a 64-byte key whose public half belongs to another seed", `whsk_${toBase64(new Uint8Array([...a.seed, ...b.raw]))}`],
  ];
}

describe("kind: malformed and wrong-scheme keys are refused with a 400 naming `secret`, and nothing is stored", () => {
  it("every malformed whsk_ key is refused at creation of an ed25519 endpoint", async () => {
    const { id } = await newTenant();
    for (const [what, secret] of await malformedKeys()) {
      const res = await apiJson("POST", `/v1/tenants/${id}/endpoints`, {
        body: { url: `${receiverUrl()}/ok/x`, signature: { scheme: "ed25519" }, secret },
      });
      expect(res.status, what).toBe(400);
      expect(res.body.error.code, what).toBe("validation_failed");
      expect(res.body.error.issues, what).toEqual([{ path: "secret", message: expect.any(String) }]);
    }
    expect((await apiJson("GET", `/v1/tenants/${id}/endpoints`)).body.data).toEqual([]);
  });

  it("a whsec_ secret is refused for an ed25519 endpoint", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${id}/endpoints`, {
      body: { url: `${receiverUrl()}/ok/x`, signature: { scheme: "ed25519" }, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: "secret", message: expect.stringContaining("must be a whsk_ key") }]);
  });

  it.each(["standard", "hmac-sha256"])("a whsk_ key is refused for a %s endpoint", async (scheme) => {
    const { id } = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${id}/endpoints`, {
      body: { url: `${receiverUrl()}/ok/x`, signature: { scheme }, secret: (await keyPair()).whsk },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: "secret", message: expect.stringContaining("must be a whsec_ secret") }]);
  });

  it("a whsk_ key is refused when the scheme is left to its default (standard)", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${id}/endpoints`, { body: { url: `${receiverUrl()}/ok/x`, secret: (await keyPair()).whsk } });
    expect(res.status).toBe(400);
  });

  it("rotating an ed25519 endpoint to a whsec_ secret is refused and the public key stays", async () => {
    const { endpoint, base } = await ed25519Endpoint();
    const res = await apiJson("POST", `${base}/secret/rotate`, { body: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: "secret", message: expect.stringContaining("must be a whsk_ key") }]);
    expect((await apiJson("GET", `${base}/secret`)).body).toEqual({ secret: endpoint.public_key, public_key: endpoint.public_key, previous: [] });
  });

  it("rotating a standard endpoint or the tenant's own secret to a whsk_ key is refused", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/x` });
    const whsk = (await keyPair()).whsk;
    for (const path of [`/v1/tenants/${id}/endpoints/${endpoint.id}/secret/rotate`, `/v1/tenants/${id}/secret/rotate`]) {
      const res = await apiJson("POST", path, { body: { secret: whsk } });
      expect(res.status, path).toBe(400);
      expect(res.body.error.issues, path).toEqual([{ path: "secret", message: expect.stringContaining("must be a whsec_ secret") }]);
    }
  });

  it("header and prefix are refused with the ed25519 scheme", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${id}/endpoints`, {
      body: { url: `${receiverUrl()}/ok/x`, signature: { scheme: "ed25519", header: "X-Sig" } },
    });
    expect(res.status).toBe(400);
  });
});

describe("kind: switching an endpoint's scheme between HMAC and ed25519 switches its key, with the old one co-signing", () => {
  it("standard → ed25519: the PATCH answers with a public_key; the next delivery carries v1a by the new key and v1 by the old secret", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const base = `/v1/tenants/${id}/endpoints/${endpoint.id}`;
    const patched = await apiJson("PATCH", base, { body: { signature: { scheme: "ed25519" } } });
    expect(patched.status).toBe(200);
    expect(patched.body.signature).toEqual({ scheme: "ed25519" });
    expect(patched.body.public_key).toMatch(WHPK);
    const secret = await apiJson("GET", `${base}/secret`);
    expect(secret.body).toEqual({ secret: patched.body.public_key, public_key: patched.body.public_key, previous: [{ expires_at: expect.any(String) }] });
    const { request } = await deliverOne(id, name);
    expect(v1aOf(request)).toEqual([expect.stringMatching(V1A), expect.stringMatching(/^v1,/)]);
    expect((await nodeVerdicts(name, patched.body.public_key))[0]!.v1a).toEqual([true]);
    await expect(verifyWebhook(request.body, request.headers, { secret: endpoint.secret })).resolves.toMatchObject({ scheme: "standard" });
  });

  it("ed25519 → standard with a supplied whsec_: the endpoint loses its public_key, the new secret signs v1 and the old public key still verifies v1a", async () => {
    const { tenantId, name, endpoint, base } = await ed25519Endpoint();
    const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const patched = await apiJson("PATCH", base, { body: { signature: { scheme: "standard" }, secret: whsec } });
    expect(patched.status).toBe(200);
    expect(patched.body).not.toHaveProperty("public_key");
    expect((await apiJson("GET", `${base}/secret`)).body).toEqual({
      secret: whsec,
      previous: [{ expires_at: expect.any(String), public_key: endpoint.public_key }],
    });
    const { request } = await deliverOne(tenantId, name);
    await expect(verifyWebhook(request.body, request.headers, { secret: whsec })).resolves.toMatchObject({ scheme: "standard" });
    expect((await nodeVerdicts(name, endpoint.public_key))[0]!.v1a).toEqual([true]);
  });

  it("ed25519 → hmac-sha256: the signature header holds one HMAC of the new secret; the old Ed25519 key does not sign it", async () => {
    const { tenantId, name, base } = await ed25519Endpoint();
    const patched = await apiJson("PATCH", base, { body: { signature: { scheme: "hmac-sha256" } } });
    expect(patched.status).toBe(200);
    const { secret } = (await apiJson("GET", `${base}/secret`)).body;
    const { request } = await deliverOne(tenantId, name);
    expect(request.headers["x-webhook-signature"]).toMatch(/^[0-9a-f]{64}$/);
    expect(request.headers["webhook-previous-signatures"]).toBeUndefined();
    await expect(verifyWebhook(request.body, request.headers, { scheme: "hmac-sha256", secret })).resolves.toBeTruthy();
  });

  it("a PATCH to ed25519 with a whsec_ secret is 400 and the endpoint stays as it was", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/x` });
    const base = `/v1/tenants/${id}/endpoints/${endpoint.id}`;
    const res = await apiJson("PATCH", base, { body: { signature: { scheme: "ed25519" }, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } });
    expect(res.status).toBe(400);
    expect((await apiJson("GET", base)).body.signature).toEqual({ scheme: "standard" });
    expect((await apiJson("GET", `${base}/secret`)).body).toEqual({ secret: endpoint.secret, previous: [] });
  });

  it("a PATCH with a secret but no change of key kind is 400: rotating is POST …/secret/rotate", async () => {
    const { base } = await ed25519Endpoint();
    const res = await apiJson("PATCH", base, { body: { secret: (await keyPair()).whsk } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: "secret", message: expect.stringContaining("secret/rotate") }]);
  });

  it("a switch whose new key could not be stored changes nothing: same scheme, no public_key, same secret; the next PATCH succeeds", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/x` });
    const base = `/v1/tenants/${id}/endpoints/${endpoint.id}`;
    const failingKv = { ...env.SECRETS, get: env.SECRETS.get.bind(env.SECRETS), put: async () => Promise.reject(new Error("KV unavailable")) };
    vi.spyOn(console, "error").mockImplementation(() => undefined);

    const failed = await callWorker({ ...env, SECRETS: failingKv } as Env, "PATCH", base, { body: { signature: { scheme: "ed25519" } } });
    expect(failed.status).toBe(500);
    const after = await apiJson("GET", base);
    expect(after.body.signature).toEqual({ scheme: "standard" });
    expect(after.body).not.toHaveProperty("public_key");
    expect((await apiJson("GET", `${base}/secret`)).body).toEqual({ secret: endpoint.secret, previous: [] });

    const next = await apiJson("PATCH", base, { body: { signature: { scheme: "ed25519" } } });
    expect(next.status).toBe(200);
    expect(next.body.public_key).toMatch(WHPK);
  });

  it("a switch racing rotations of the same endpoint: afterwards its scheme, its public_key and the key that signs agree", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const base = `/v1/tenants/${id}/endpoints/${endpoint.id}`;
    const replies = await Promise.all([
      apiJson("POST", `${base}/secret/rotate`, { body: { grace_period_seconds: 3600 } }),
      apiJson("PATCH", base, { body: { signature: { scheme: "ed25519" } } }),
      apiJson("POST", `${base}/secret/rotate`, { body: { grace_period_seconds: 3600 } }),
    ]);
    expect(replies.map((r) => r.status).every((s) => s === 200 || s === 409)).toBe(true);
    expect(replies[1]!.status).toBe(200);
    const [now, secret] = await Promise.all([apiJson("GET", base), apiJson("GET", `${base}/secret`)]);
    expect(now.body.signature).toEqual({ scheme: "ed25519" });
    expect(secret.body.public_key).toBe(now.body.public_key);
    const { request } = await deliverOne(id, name);
    expect(v1aOf(request)[0]).toMatch(V1A);
    expect((await nodeVerdicts(name, now.body.public_key))[0]!.v1a[0]).toBe(true);
  });

  it("switching between standard and hmac-sha256 keeps the secret: both sign with HMAC", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/x` });
    const base = `/v1/tenants/${id}/endpoints/${endpoint.id}`;
    expect((await apiJson("PATCH", base, { body: { signature: { scheme: "hmac-sha256" } } })).status).toBe(200);
    expect((await apiJson("GET", `${base}/secret`)).body).toEqual({ secret: endpoint.secret, previous: [] });
  });
});
