import { Hono } from "hono";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signatureHeaders } from "../src/delivery/signing";
import {
  InvalidTimestampError,
  MissingHeaderError,
  NoMatchingSignatureError,
  PREVIOUS_SIGNATURES_HEADER,
  verifyRequest,
  verifyWebhook,
  verifyWebhookMiddleware,
  WebhookVerificationError,
} from "../src/verify/index.ts";

// Runs inside workerd: the verify module must need nothing but Web Crypto.

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET = "whsec_dGhlLW90aGVyLXNlY3JldC1vZi0yNC1ieXRlcw==";
const BODY = JSON.stringify({ document_id: "doc_123", status: "predicted", note: "naïve ✓" });
const MESSAGE_ID = "0b7f5e4e-6a43-4a4e-9a51-1d7e2f9b3c10";
const T = 1_795_000_000; // a fixed unix time in seconds
const at = (seconds: number) => () => seconds * 1000;

/** Headers as the standardwebhooks library would send them. */
function signedByLibrary(secret: string, body = BODY, timestamp = T, id = MESSAGE_ID) {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": new Webhook(secret).sign(id, new Date(timestamp * 1000), body),
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => null,
    (error: Error) => error,
  );
  if (!outcome) throw new Error("expected the verification to fail, but it passed");
  return outcome;
}

describe("verifyWebhook with the standard scheme", () => {
  it("accepts a delivery signed by the standardwebhooks library", async () => {
    const verified = await verifyWebhook(BODY, signedByLibrary(SECRET), { secret: SECRET, now: at(T) });
    expect(verified).toEqual({ scheme: "standard", id: MESSAGE_ID, timestamp: new Date(T * 1000) });
  });

  it("accepts exactly what Edgehook's signer sends", async () => {
    const headers = await signatureHeaders({ scheme: "standard" }, [SECRET], MESSAGE_ID, T, BODY);
    await expect(verifyWebhook(BODY, new Headers(headers), { secret: SECRET, now: at(T) })).resolves.toMatchObject({ id: MESSAGE_ID });
  });

  it("lets the standardwebhooks library verify what Edgehook's signer sends", async () => {
    const now = Math.floor(Date.now() / 1000);
    const headers = await signatureHeaders({ scheme: "standard" }, [SECRET], MESSAGE_ID, now, BODY);
    expect(new Webhook(SECRET).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    const tampered = BODY.replace("doc_123", "doc_124");
    expect(() => new Webhook(SECRET).verify(tampered, headers)).toThrow("No matching signature");
  });

  it("accepts the body as bytes as well as text", async () => {
    const bytes = new TextEncoder().encode(BODY);
    await expect(verifyWebhook(bytes, signedByLibrary(SECRET), { secret: SECRET, now: at(T) })).resolves.toBeTruthy();
    const buffer = await new Response(BODY).arrayBuffer();
    await expect(verifyWebhook(buffer, signedByLibrary(SECRET), { secret: SECRET, now: at(T) })).resolves.toBeTruthy();
  });

  it("reads header names in any case from a plain object, as Node gives them", async () => {
    const upper = Object.fromEntries(Object.entries(signedByLibrary(SECRET)).map(([k, v]) => [k.toUpperCase(), v]));
    await expect(verifyWebhook(BODY, upper, { secret: SECRET, now: at(T) })).resolves.toBeTruthy();
  });

  it("accepts a delivery co-signed during a rotation, knowing either secret", async () => {
    const headers = await signatureHeaders({ scheme: "standard" }, [OTHER_SECRET, SECRET], MESSAGE_ID, T, BODY);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    await expect(verifyWebhook(BODY, headers, { secret: SECRET, now: at(T) })).resolves.toBeTruthy();
    await expect(verifyWebhook(BODY, headers, { secret: OTHER_SECRET, now: at(T) })).resolves.toBeTruthy();
  });

  it("accepts a signature made with any of several secrets the receiver holds", async () => {
    const headers = signedByLibrary(SECRET);
    await expect(verifyWebhook(BODY, headers, { secret: [OTHER_SECRET, SECRET], now: at(T) })).resolves.toBeTruthy();
  });

  it("accepts a secret given without its whsec_ prefix", async () => {
    const bare = SECRET.slice("whsec_".length);
    await expect(verifyWebhook(BODY, signedByLibrary(SECRET), { secret: bare, now: at(T) })).resolves.toBeTruthy();
  });

  it("accepts a timestamp exactly five minutes old or five minutes ahead", async () => {
    await expect(verifyWebhook(BODY, signedByLibrary(SECRET), { secret: SECRET, now: at(T + 300) })).resolves.toBeTruthy();
    await expect(verifyWebhook(BODY, signedByLibrary(SECRET), { secret: SECRET, now: at(T - 300) })).resolves.toBeTruthy();
  });

  it("refuses a timestamp one second older than the tolerance", async () => {
    const error = await rejection(verifyWebhook(BODY, signedByLibrary(SECRET), { secret: SECRET, now: at(T + 301) }));
    expect(error).toBeInstanceOf(InvalidTimestampError);
    expect(error).toMatchObject({ code: "invalid_timestamp", reason: "too_old" });
  });

  it("refuses a timestamp one second further ahead than the tolerance", async () => {
    const error = await rejection(verifyWebhook(BODY, signedByLibrary(SECRET), { secret: SECRET, now: at(T - 301) }));
    expect(error).toMatchObject({ code: "invalid_timestamp", reason: "too_new" });
  });

  it("follows a tolerance the receiver chooses", async () => {
    const options = { secret: SECRET, toleranceSeconds: 30, now: at(T + 31) };
    expect(await rejection(verifyWebhook(BODY, signedByLibrary(SECRET), options))).toMatchObject({ reason: "too_old" });
    await expect(verifyWebhook(BODY, signedByLibrary(SECRET), { ...options, now: at(T + 30) })).resolves.toBeTruthy();
  });

  it("refuses a timestamp that is not unix seconds", async () => {
    for (const timestamp of ["2026-11-23T12:00:00Z", "1795000000.5", "-1795000000", "soon"]) {
      const headers = { ...signedByLibrary(SECRET), "webhook-timestamp": timestamp };
      expect(await rejection(verifyWebhook(BODY, headers, { secret: SECRET, now: at(T) }))).toMatchObject({ reason: "malformed" });
    }
  });

  it("names the header that is missing", async () => {
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"] as const) {
      const headers: Record<string, string> = { ...signedByLibrary(SECRET) };
      delete headers[name];
      const error = await rejection(verifyWebhook(BODY, headers, { secret: SECRET, now: at(T) }));
      expect(error).toBeInstanceOf(MissingHeaderError);
      expect(error).toMatchObject({ code: "missing_header", header: name });
      expect(error.message).toContain(name);
    }
  });

  it("refuses a body changed after signing", async () => {
    const tampered = BODY.replace("predicted", "failed");
    const error = await rejection(verifyWebhook(tampered, signedByLibrary(SECRET), { secret: SECRET, now: at(T) }));
    expect(error).toBeInstanceOf(NoMatchingSignatureError);
    expect(error).toMatchObject({ code: "no_matching_signature" });
  });

  it("refuses a message id changed after signing, since the id is signed too", async () => {
    const headers = { ...signedByLibrary(SECRET), "webhook-id": crypto.randomUUID() };
    expect(await rejection(verifyWebhook(BODY, headers, { secret: SECRET, now: at(T) }))).toBeInstanceOf(NoMatchingSignatureError);
  });

  it("refuses a delivery signed with another secret", async () => {
    const error = await rejection(verifyWebhook(BODY, signedByLibrary(OTHER_SECRET), { secret: SECRET, now: at(T) }));
    expect(error).toBeInstanceOf(NoMatchingSignatureError);
  });

  it("refuses signatures of another length or form without any other exception", async () => {
    const genuine = signedByLibrary(SECRET)["webhook-signature"].slice("v1,".length);
    const forms = ["v1,", "v1,AAAA", `v1,${genuine.slice(0, -4)}`, `v1,${genuine}${genuine}`, "v1,not base64!", `v2,${genuine}`, genuine, ",,,"];
    for (const signature of forms) {
      const headers = { ...signedByLibrary(SECRET), "webhook-signature": signature };
      const error = await rejection(verifyWebhook(BODY, headers, { secret: SECRET, now: at(T) }));
      expect(error, signature).toBeInstanceOf(NoMatchingSignatureError);
    }
  });

  it("finds the one good signature among bad ones", async () => {
    const good = signedByLibrary(SECRET)["webhook-signature"];
    const headers = { ...signedByLibrary(SECRET), "webhook-signature": `v1,AAAA v2,xyz ${good}` };
    await expect(verifyWebhook(BODY, headers, { secret: SECRET, now: at(T) })).resolves.toBeTruthy();
  });

  it("never reveals the signature it expected", async () => {
    const expected = signedByLibrary(SECRET)["webhook-signature"].slice("v1,".length);
    const error = await rejection(verifyWebhook(BODY, signedByLibrary(OTHER_SECRET), { secret: SECRET, now: at(T) }));
    const everything = `${error.message} ${error.stack} ${JSON.stringify(error)} ${String(error)}`;
    expect(everything).not.toContain(expected);
    expect(everything).not.toContain(SECRET.slice("whsec_".length));
  });

  it("treats a bad configuration as a programming error, not a refused delivery", async () => {
    const headers = signedByLibrary(SECRET);
    for (const secret of ["", [], "whsec_***"]) {
      const error = await rejection(verifyWebhook(BODY, headers, { secret, now: at(T) }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error).not.toBeInstanceOf(WebhookVerificationError);
    }
    expect(await rejection(verifyWebhook(BODY, {}, { secret: "", now: at(T) }))).toBeInstanceOf(TypeError);
    const parsed = JSON.parse(BODY) as unknown as string;
    expect(await rejection(verifyWebhook(parsed, headers, { secret: SECRET, now: at(T) }))).toBeInstanceOf(TypeError);
  });
});

describe("verifyWebhook with the hmac-sha256 scheme", () => {
  async function edgehookHeaders(signature: { header?: string; prefix?: string }, secrets = [SECRET], timestamp = T): Promise<Record<string, string>> {
    return {
      "webhook-id": MESSAGE_ID,
      "webhook-timestamp": String(timestamp),
      ...(await signatureHeaders({ scheme: "hmac-sha256", ...signature }, secrets, MESSAGE_ID, timestamp, BODY)),
    };
  }

  it("accepts exactly what Edgehook's signer sends with the default header", async () => {
    const headers = await edgehookHeaders({});
    expect(headers["X-Webhook-Signature"]).toMatch(/^[0-9a-f]{64}$/);
    const verified = await verifyWebhook(BODY, headers, { scheme: "hmac-sha256", secret: SECRET });
    expect(verified).toEqual({ scheme: "hmac-sha256", id: MESSAGE_ID, timestamp: new Date(T * 1000) });
  });

  it("accepts a GitHub-style header and prefix", async () => {
    const headers = await edgehookHeaders({ header: "X-Hub-Signature-256", prefix: "sha256=" });
    const options = { scheme: "hmac-sha256", secret: SECRET, header: "X-Hub-Signature-256", prefix: "sha256=" } as const;
    await expect(verifyWebhook(BODY, new Headers(headers), options)).resolves.toBeTruthy();
  });

  it("during a rotation signs the header with the current secret only and the older ones in webhook-previous-signatures", async () => {
    const third = "whsec_dGhpcmQtc2VjcmV0LW9mLTI0LWJ5dGVzLWxvbmc=";
    const headers = await edgehookHeaders({ prefix: "sha256=" }, [OTHER_SECRET, SECRET, third]);
    expect(headers["X-Webhook-Signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(headers[PREVIOUS_SIGNATURES_HEADER]).toMatch(/^sha256=[0-9a-f]{64}, sha256=[0-9a-f]{64}$/);
    const current = await verifyWebhook(BODY, { ...headers, [PREVIOUS_SIGNATURES_HEADER]: undefined }, { scheme: "hmac-sha256", secret: OTHER_SECRET, prefix: "sha256=" });
    expect(current.id).toBe(MESSAGE_ID);
  });

  it("accepts a delivery made during a rotation with the current secret and with each older one", async () => {
    const third = "whsec_dGhpcmQtc2VjcmV0LW9mLTI0LWJ5dGVzLWxvbmc=";
    const headers = await edgehookHeaders({ prefix: "sha256=" }, [OTHER_SECRET, SECRET, third]);
    for (const secret of [OTHER_SECRET, SECRET, third]) {
      await expect(verifyWebhook(BODY, headers, { scheme: "hmac-sha256", secret, prefix: "sha256=" })).resolves.toBeTruthy();
    }
  });

  it("sends no webhook-previous-signatures header outside a rotation", async () => {
    expect(Object.keys(await edgehookHeaders({}))).not.toContain(PREVIOUS_SIGNATURES_HEADER);
  });

  it("keys the HMAC with the whole secret string, not its decoded bytes", async () => {
    const headers = await edgehookHeaders({});
    const decodedKeyAsText = atob(SECRET.slice("whsec_".length));
    expect(await rejection(verifyWebhook(BODY, headers, { scheme: "hmac-sha256", secret: decodedKeyAsText }))).toBeInstanceOf(
      NoMatchingSignatureError,
    );
  });

  it("refuses a signature without the configured prefix", async () => {
    const headers = await edgehookHeaders({});
    const error = await rejection(verifyWebhook(BODY, headers, { scheme: "hmac-sha256", secret: SECRET, prefix: "sha256=" }));
    expect(error).toMatchObject({ code: "no_matching_signature" });
  });

  it("refuses a changed body and another secret", async () => {
    const headers = await edgehookHeaders({});
    expect(await rejection(verifyWebhook(`${BODY} `, headers, { scheme: "hmac-sha256", secret: SECRET }))).toBeInstanceOf(NoMatchingSignatureError);
    expect(await rejection(verifyWebhook(BODY, headers, { scheme: "hmac-sha256", secret: OTHER_SECRET }))).toBeInstanceOf(NoMatchingSignatureError);
  });

  it("refuses signatures of another length without any other exception", async () => {
    const genuine = (await edgehookHeaders({}))["X-Webhook-Signature"]!;
    for (const signature of ["ab", genuine.slice(0, 62), `${genuine}00`, "zz".repeat(32), "abc"]) {
      const headers = { ...(await edgehookHeaders({})), "X-Webhook-Signature": signature };
      expect(await rejection(verifyWebhook(BODY, headers, { scheme: "hmac-sha256", secret: SECRET }))).toBeInstanceOf(NoMatchingSignatureError);
    }
  });

  it("names the configured signature header when it is missing", async () => {
    const error = await rejection(verifyWebhook(BODY, await edgehookHeaders({}), { scheme: "hmac-sha256", secret: SECRET, header: "X-Mindee-Hmac-Signature" }));
    expect(error).toMatchObject({ code: "missing_header", header: "x-mindee-hmac-signature" });
  });

  it("applies no tolerance to the timestamp, which this scheme does not sign", async () => {
    const headers = await edgehookHeaders({}, [SECRET], T - 86_400);
    await expect(verifyWebhook(BODY, headers, { scheme: "hmac-sha256", secret: SECRET })).resolves.toBeTruthy();
  });
});

describe("verifyRequest", () => {
  it("returns the id, timestamp, body and parsed payload of a signed Request", async () => {
    const now = Math.floor(Date.now() / 1000);
    const request = new Request("https://receiver.test/webhooks", { method: "POST", headers: signedByLibrary(SECRET, BODY, now), body: BODY });
    const delivery = await verifyRequest(request, { secret: SECRET });
    expect(delivery).toEqual({ scheme: "standard", id: MESSAGE_ID, timestamp: new Date(now * 1000), body: BODY, payload: JSON.parse(BODY) });
  });

  it("refuses an unsigned Request", async () => {
    const request = new Request("https://receiver.test/webhooks", { method: "POST", body: BODY });
    expect(await rejection(verifyRequest(request, { secret: SECRET }))).toBeInstanceOf(MissingHeaderError);
  });
});

describe("verifyWebhookMiddleware for Hono", () => {
  type Bindings = { WEBHOOK_SECRET: string };
  const env: Bindings = { WEBHOOK_SECRET: SECRET };

  function receiver(onError?: Parameters<typeof verifyWebhookMiddleware>[1]) {
    const seen: unknown[] = [];
    const app = new Hono<{ Bindings: Bindings }>().post(
      "/webhooks",
      verifyWebhookMiddleware((c) => ({ secret: c.env.WEBHOOK_SECRET }), onError),
      async (c) => {
        const webhook = c.get("webhook");
        seen.push({ id: webhook.id, payload: webhook.payload, reread: await c.req.json() });
        return c.text("ok");
      },
    );
    const post = (headers: Record<string, string>, body = BODY) =>
      app.request("/webhooks", { method: "POST", headers, body }, env);
    return { post, seen };
  }

  it("hands a verified delivery to the handler, whose body stays readable", async () => {
    const { post, seen } = receiver();
    const res = await post(signedByLibrary(SECRET, BODY, Math.floor(Date.now() / 1000)));
    expect(res.status).toBe(200);
    expect(seen).toEqual([{ id: MESSAGE_ID, payload: JSON.parse(BODY), reread: JSON.parse(BODY) }]);
  });

  it("answers 401 with the reason and never calls the handler for a bad signature", async () => {
    const { post, seen } = receiver();
    const res = await post(signedByLibrary(OTHER_SECRET, BODY, Math.floor(Date.now() / 1000)));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: "no_matching_signature", message: expect.any(String) } });
    expect(seen).toEqual([]);
  });

  it("lets the app choose its own answer to a refused delivery", async () => {
    const { post } = receiver({ onError: (error, c) => c.text(`refused: ${error.code}`, 400) });
    const res = await post({});
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("refused: missing_header");
  });
});

/** A fresh Ed25519 key pair: Edgehook's `whsk_` form of its seed, its `whpk_` public key, and the private CryptoKey. */
async function ed25519Pair() {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const b64 = (buffer: ArrayBuffer | Uint8Array) => btoa(String.fromCharCode(...new Uint8Array(buffer)));
  const seed = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer).slice(-32);
  return {
    whsk: `whsk_${b64(seed)}`,
    whpk: `whpk_${b64((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer)}`,
    privateKey: pair.privateKey,
  };
}

describe("verifyWebhook with the ed25519 scheme (Standard Webhooks v1a)", () => {
  it("accepts exactly what Edgehook's signer sends, given the public key", async () => {
    const { whsk, whpk } = await ed25519Pair();
    const headers = await signatureHeaders({ scheme: "ed25519" }, [whsk], MESSAGE_ID, T, BODY);
    expect(headers["webhook-signature"]).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    const verified = await verifyWebhook(BODY, headers, { scheme: "ed25519", publicKey: whpk, now: at(T) });
    expect(verified).toEqual({ scheme: "ed25519", id: MESSAGE_ID, timestamp: new Date(T * 1000) });
  });

  it("accepts a v1a signature made by any Ed25519 signer over {id}.{timestamp}.{body}", async () => {
    const { whpk, privateKey } = await ed25519Pair();
    const signature = await crypto.subtle.sign({ name: "Ed25519" }, privateKey, new TextEncoder().encode(`${MESSAGE_ID}.${T}.${BODY}`));
    const headers = { "webhook-id": MESSAGE_ID, "webhook-timestamp": String(T), "webhook-signature": `v1a,${btoa(String.fromCharCode(...new Uint8Array(signature)))}` };
    await expect(verifyWebhook(BODY, headers, { scheme: "ed25519", publicKey: whpk, now: at(T) })).resolves.toMatchObject({ scheme: "ed25519" });
  });

  it("accepts a whpk_ public key passed as the standard scheme's secret, as GET …/secret shows it", async () => {
    const { whsk, whpk } = await ed25519Pair();
    const headers = await signatureHeaders({ scheme: "ed25519" }, [whsk], MESSAGE_ID, T, BODY);
    await expect(verifyWebhook(BODY, headers, { secret: whpk, now: at(T) })).resolves.toMatchObject({ scheme: "ed25519" });
  });

  it("accepts a delivery co-signed during a rotation, knowing either public key", async () => {
    const [current, old] = [await ed25519Pair(), await ed25519Pair()];
    const headers = await signatureHeaders({ scheme: "ed25519" }, [current.whsk, old.whsk], MESSAGE_ID, T, BODY);
    for (const publicKey of [current.whpk, old.whpk]) {
      await expect(verifyWebhook(BODY, headers, { scheme: "ed25519", publicKey, now: at(T) })).resolves.toBeTruthy();
    }
  });

  it("accepts a header mixing v1 and v1a, as after a switch of scheme: each key checks the signatures of its kind", async () => {
    const { whsk, whpk } = await ed25519Pair();
    const headers = await signatureHeaders({ scheme: "ed25519" }, [whsk, SECRET], MESSAGE_ID, T, BODY);
    expect(headers["webhook-signature"]).toMatch(/^v1a,\S+ v1,\S+$/);
    await expect(verifyWebhook(BODY, headers, { scheme: "ed25519", publicKey: whpk, now: at(T) })).resolves.toMatchObject({ scheme: "ed25519" });
    await expect(verifyWebhook(BODY, headers, { secret: SECRET, now: at(T) })).resolves.toMatchObject({ scheme: "standard" });
  });

  describe("refuses", () => {
    it("a tampered body", async () => {
      const { whsk, whpk } = await ed25519Pair();
      const headers = await signatureHeaders({ scheme: "ed25519" }, [whsk], MESSAGE_ID, T, BODY);
      const error = await rejection(verifyWebhook(BODY.replace("doc_123", "doc_124"), headers, { scheme: "ed25519", publicKey: whpk, now: at(T) }));
      expect(error).toBeInstanceOf(NoMatchingSignatureError);
    });

    it("a signature moved to another webhook-id or timestamp (both are signed)", async () => {
      const { whsk, whpk } = await ed25519Pair();
      const headers = await signatureHeaders({ scheme: "ed25519" }, [whsk], MESSAGE_ID, T, BODY);
      for (const changed of [{ "webhook-id": "another-id" }, { "webhook-timestamp": String(T + 1) }]) {
        const error = await rejection(verifyWebhook(BODY, { ...headers, ...changed }, { scheme: "ed25519", publicKey: whpk, now: at(T) }));
        expect(error).toBeInstanceOf(NoMatchingSignatureError);
      }
    });

    it("a signature by another key", async () => {
      const [signer, other] = [await ed25519Pair(), await ed25519Pair()];
      const headers = await signatureHeaders({ scheme: "ed25519" }, [signer.whsk], MESSAGE_ID, T, BODY);
      const error = await rejection(verifyWebhook(BODY, headers, { scheme: "ed25519", publicKey: other.whpk, now: at(T) }));
      expect(error.message).toBe("The signature in the webhook-signature header does not match this body and secret");
    });

    it("a v1 HMAC signature when only public keys are trusted: anyone holding a leaked whsec_ cannot get past an ed25519 receiver", async () => {
      const { whpk } = await ed25519Pair();
      const error = await rejection(verifyWebhook(BODY, signedByLibrary(SECRET), { scheme: "ed25519", publicKey: whpk, now: at(T) }));
      expect(error.message).toBe("The webhook-signature header holds no signature in the expected format");
    });

    it("v1a entries that are not base64 or not 64 bytes", async () => {
      const { whpk } = await ed25519Pair();
      for (const entry of ["v1a,not*base64", "v1a,AAAA", `v1a,${btoa("x".repeat(63))}`, "v1a,"]) {
        const headers = { "webhook-id": MESSAGE_ID, "webhook-timestamp": String(T), "webhook-signature": entry };
        const error = await rejection(verifyWebhook(BODY, headers, { scheme: "ed25519", publicKey: whpk, now: at(T) }));
        expect(error, entry).toBeInstanceOf(NoMatchingSignatureError);
      }
    });

    it("a timestamp outside the tolerance", async () => {
      const { whsk, whpk } = await ed25519Pair();
      const headers = await signatureHeaders({ scheme: "ed25519" }, [whsk], MESSAGE_ID, T, BODY);
      const error = await rejection(verifyWebhook(BODY, headers, { scheme: "ed25519", publicKey: whpk, now: at(T + 301) }));
      expect(error).toBeInstanceOf(InvalidTimestampError);
    });

    it("a delivery without webhook-signature", async () => {
      const { whpk } = await ed25519Pair();
      const headers = { "webhook-id": MESSAGE_ID, "webhook-timestamp": String(T) };
      const error = await rejection(verifyWebhook(BODY, headers, { scheme: "ed25519", publicKey: whpk, now: at(T) }));
      expect(error).toBeInstanceOf(MissingHeaderError);
    });
  });

  describe("throws a TypeError for a key a receiver must not be configured with", () => {
    it.each([
      ["a public key of 31 bytes", { scheme: "ed25519", publicKey: `whpk_${btoa("x".repeat(31))}` }],
      ["a public key that is not base64", { scheme: "ed25519", publicKey: "whpk_not*base64" }],
      ["a whsec_ secret as the public key", { scheme: "ed25519", publicKey: SECRET }],
      ["no public key at all", { scheme: "ed25519", publicKey: [] }],
      ["a missing public key", { scheme: "ed25519" }],
      ["a private whsk_ key as the secret", { secret: `whsk_${btoa("s".repeat(32))}` }],
    ])("%s", async (_what, options) => {
      const headers = { "webhook-id": MESSAGE_ID, "webhook-timestamp": String(T), "webhook-signature": "v1a,AAAA" };
      const error = await rejection(verifyWebhook(BODY, headers, { ...(options as any), now: at(T) }));
      expect(error).toBeInstanceOf(TypeError);
    });
  });
});

/** Hex HMAC-SHA256 of `body` keyed with the UTF-8 of `key`: what anyone holding `key` can compute. */
async function hmacHex(key: string, body: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, new TextEncoder().encode(body)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("a key of the wrong kind for the scheme is a TypeError before any signature is compared", () => {
  /** Headers whose signatures would all match, were the key used: the check must refuse before looking. */
  async function forgeableHeaders(key: string) {
    return { "webhook-id": MESSAGE_ID, "webhook-timestamp": String(T), "x-webhook-signature": await hmacHex(key, BODY) };
  }

  it("hmac-sha256 refuses a whpk_ public key, even with a signature anyone could compute from it (the field report)", async () => {
    const { whpk } = await ed25519Pair();
    const error = await rejection(verifyWebhook(BODY, await forgeableHeaders(whpk), { scheme: "hmac-sha256", secret: whpk }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("verifies with the endpoint's whsec_ secret");
    expect(error.message).not.toContain(whpk.slice("whpk_".length));
  });

  it("hmac-sha256 refuses a whsk_ private key, even with a signature made with it", async () => {
    const { whsk } = await ed25519Pair();
    const error = await rejection(verifyWebhook(BODY, await forgeableHeaders(whsk), { scheme: "hmac-sha256", secret: whsk }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("whsk_ is a private key");
  });

  it("hmac-sha256 refuses a whpk_ key hidden behind whitespace, or among good secrets", async () => {
    const { whpk } = await ed25519Pair();
    for (const secret of [` ${whpk}`, `\n${whpk}`, [SECRET, whpk]]) {
      const error = await rejection(verifyWebhook(BODY, await forgeableHeaders(` ${whpk}`), { scheme: "hmac-sha256", secret }));
      expect(error, JSON.stringify(secret)).toBeInstanceOf(TypeError);
    }
  });

  it("hmac-sha256 refuses a whpk_ or whsk_ key written in another case, or still wrapped in the quotes or invisible characters it was copied with", async () => {
    const { whpk, whsk } = await ed25519Pair();
    const body = (key: string) => key.slice("whpk_".length);
    for (const secret of [`WHPK_${body(whpk)}`, `Whpk_${body(whpk)}`, `"${whpk}"`, `'${whpk}'`, `\u200b${whpk}`, `\ufeff${whpk}`, `WHSK_${body(whsk)}`, `"${whsk}"`]) {
      const error = await rejection(verifyWebhook(BODY, await forgeableHeaders(secret), { scheme: "hmac-sha256", secret }));
      expect(error, JSON.stringify(secret)).toBeInstanceOf(TypeError);
    }
  });

  it("the standard scheme, named, refuses a whpk_ public key, even on a delivery that key's v1a signature verifies", async () => {
    const { whsk, whpk } = await ed25519Pair();
    const headers = await signatureHeaders({ scheme: "ed25519" }, [whsk], MESSAGE_ID, T, BODY);
    const error = await rejection(verifyWebhook(BODY, headers, { scheme: "standard", secret: whpk, now: at(T) }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("The standard scheme verifies with the endpoint's whsec_ secret");
  });

  it("the standard scheme, named or not, refuses a whsk_ private key", async () => {
    const { whsk } = await ed25519Pair();
    for (const scheme of ["standard", undefined] as const) {
      const error = await rejection(verifyWebhook(BODY, signedByLibrary(SECRET), { scheme, secret: whsk, now: at(T) }));
      expect(error, String(scheme)).toBeInstanceOf(TypeError);
      expect(error.message).toContain("whsk_ is a private key");
    }
  });

  it("ed25519 refuses a whsec_ secret as its public key", async () => {
    const error = await rejection(verifyWebhook(BODY, signedByLibrary(SECRET), { scheme: "ed25519", publicKey: SECRET, now: at(T) }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("The ed25519 scheme verifies with the endpoint's whpk_ public key");
  });

  it("ed25519 refuses a whsk_ private key as its public key", async () => {
    const { whsk } = await ed25519Pair();
    const error = await rejection(verifyWebhook(BODY, signedByLibrary(SECRET), { scheme: "ed25519", publicKey: whsk, now: at(T) }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("whsk_ is a private key");
  });

  it("ed25519 refuses keys passed as secret: a whsec_ one by its kind, a whpk_ one by where it belongs", async () => {
    const { whpk } = await ed25519Pair();
    const wrongKind = await rejection(verifyWebhook(BODY, signedByLibrary(SECRET), { scheme: "ed25519", secret: SECRET, now: at(T) } as never));
    expect(wrongKind.message).toContain("an HMAC secret (whsec_) cannot check Ed25519 signatures");
    const wrongOption = await rejection(verifyWebhook(BODY, signedByLibrary(SECRET), { scheme: "ed25519", secret: whpk, now: at(T) } as never));
    expect(wrongOption.message).toContain("as publicKey");
  });

  it("hmac-sha256 still takes any other string as its secret, as an endpoint given its own secret may have", async () => {
    const secret = "a-secret-chosen-by-hand";
    await expect(verifyWebhook(BODY, await forgeableHeaders(secret), { scheme: "hmac-sha256", secret })).resolves.toMatchObject({ scheme: "hmac-sha256" });
  });

  it("with no scheme named, a whpk_ key still checks v1a signatures and a whsec_ one v1 signatures", async () => {
    const { whsk, whpk } = await ed25519Pair();
    const headers = await signatureHeaders({ scheme: "ed25519" }, [whsk, SECRET], MESSAGE_ID, T, BODY);
    await expect(verifyWebhook(BODY, headers, { secret: [whpk], now: at(T) })).resolves.toMatchObject({ scheme: "ed25519" });
    await expect(verifyWebhook(BODY, headers, { secret: [SECRET], now: at(T) })).resolves.toMatchObject({ scheme: "standard" });
  });
});
