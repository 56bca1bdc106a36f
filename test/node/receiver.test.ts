import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/local-relay";
import { RECEIVER, run, start, type Running } from "./support/processes";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const BODY = JSON.stringify({ document: { id: "doc_1", pages: 2 } });

/** Standard Webhooks headers for BODY, signed now with `secret`. */
function signed(secret = SECRET, id = "msg_1"): Record<string, string> {
  const now = new Date();
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, now, BODY),
  };
}

/** An Ed25519 key pair from Node's own crypto, with the public key as `whpk_…`. */
function ed25519Key() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const x = publicKey.export({ format: "jwk" }).x!;
  return { privateKey, whpk: `whpk_${Buffer.from(x, "base64url").toString("base64")}` };
}

/** Standard Webhooks headers for BODY with one v1a signature by `privateKey`. */
function signedV1a(privateKey: ReturnType<typeof ed25519Key>["privateKey"], id = "msg_1"): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = sign(null, Buffer.from(`${id}.${timestamp}.${BODY}`), privateKey).toString("base64");
  return { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1a,${signature}` };
}

describe("npm run receiver", () => {
  const running: Running[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });

  /** Starts the receiver on a free port with `flags` and waits until it listens. */
  async function receiver(flags: string[]) {
    const port = await freePort();
    const process = start(RECEIVER, ["--port", String(port), ...flags]);
    running.push(process);
    await process.waitFor(flags.includes("--json") ? '"event":"listening"' : "listening on");
    const url = `http://127.0.0.1:${port}`;
    const post = (headers: Record<string, string>, signal?: AbortSignal) => fetch(`${url}/webhooks`, { method: "POST", headers, body: BODY, signal });
    return { process, url, post };
  }

  it("prints each delivery's headers, its JSON body indented, and a valid signature", async () => {
    const { process, post } = await receiver(["--secret", SECRET]);
    const res = await post(signed());
    expect(res.status).toBe(200);
    await process.waitFor("answer: 200");
    const out = process.stdout();
    expect(out).toContain("── #1 POST /webhooks");
    expect(out).toContain("webhook-id: msg_1");
    expect(out).toContain('  {\n    "document": {\n      "id": "doc_1",');
    expect(out).toContain("signature: valid (standard, webhook-id msg_1");
  });

  it("reports a signature that does not verify, and still answers 200 by default", async () => {
    const { process, post } = await receiver(["--secret", SECRET, "--json"]);
    const res = await post(signed("whsec_dGhlLW90aGVyLXNlY3JldC1vZi0yNC1ieXRlcw=="));
    expect(res.status).toBe(200);
    await process.waitFor('"number":1');
    const [, delivery] = process.jsonLines();
    expect(delivery.verification).toEqual({ result: "invalid", code: "no_matching_signature", message: expect.any(String) });
  });

  it("answers 401 to a signature that does not verify with --reject-invalid", async () => {
    const { post } = await receiver(["--secret", SECRET, "--reject-invalid"]);
    expect((await post({ ...signed(), "webhook-signature": "v1,AAAA" })).status).toBe(401);
    expect((await post(signed())).status).toBe(200);
  });

  it("fails the first N deliveries with the chosen status, then accepts", async () => {
    const { process, post } = await receiver(["--fail-first", "2", "--fail-status", "503"]);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(signed())).status);
    expect(statuses).toEqual([503, 503, 200]);
    await process.waitFor("#3");
    expect(process.stdout()).toContain("answer: 503: failing delivery 2 of the first 2 on purpose");
  });

  it("answers every delivery with the status given by --status", async () => {
    const { post } = await receiver(["--status", "410"]);
    const res = await post(signed());
    expect(res.status).toBe(410);
    expect(await res.text()).toContain("--status");
  });

  it("holds each answer for --delay, and says so when the sender hangs up first", async () => {
    const { process, post } = await receiver(["--delay", "1500", "--json"]);
    await expect(post(signed(), AbortSignal.timeout(100))).rejects.toThrow();
    await process.waitFor('"event":"hangup"');
    expect(process.jsonLines().at(-1)).toEqual({ event: "hangup", number: 1, waited_ms: 1500 });
    expect((await post(signed())).status).toBe(200);
  });

  it("verifies the hmac-sha256 scheme with the endpoint's header and prefix", async () => {
    const flags = ["--secret", SECRET, "--scheme", "hmac-sha256", "--signature-header", "X-Hub-Signature-256", "--signature-prefix", "sha256="];
    const { process, post } = await receiver([...flags, "--json"]);
    const signature = `sha256=${createHmac("sha256", SECRET).update(BODY).digest("hex")}`;
    await post({ ...signed(), "x-hub-signature-256": signature });
    await post({ ...signed(), "x-hub-signature-256": "sha256=00" });
    await process.waitFor('"number":2');
    const [, good, bad] = process.jsonLines();
    expect(good.verification).toMatchObject({ result: "valid", scheme: "hmac-sha256", id: "msg_1" });
    expect(bad.verification).toMatchObject({ result: "invalid", code: "no_matching_signature" });
  });

  it("accepts an hmac-sha256 delivery signed with its secret in webhook-previous-signatures, as during a rotation", async () => {
    const flags = ["--secret", SECRET, "--scheme", "hmac-sha256", "--signature-header", "X-Hub-Signature-256", "--signature-prefix", "sha256="];
    const { process, post } = await receiver([...flags, "--json"]);
    const signedWith = (secret: string) => `sha256=${createHmac("sha256", secret).update(BODY).digest("hex")}`;
    await post({ ...signed(), "x-hub-signature-256": signedWith("whsec_the-new-secret"), "webhook-previous-signatures": signedWith(SECRET) });
    await process.waitFor('"number":1');
    expect(process.jsonLines()[1].verification).toMatchObject({ result: "valid", scheme: "hmac-sha256" });
  });

  it("prints a JSON body's numbers and escapes as they came", async () => {
    const { process, url } = await receiver([]);
    await fetch(`${url}/webhooks`, { method: "POST", headers: signed(), body: '{"id":9123456789654321123,"e":"\\u00e9"}' });
    await process.waitFor("answer: 200");
    expect(process.stdout()).toContain('  {\n    "id": 9123456789654321123,\n    "e": "\\u00e9"\n  }');
  });

  it("says signatures are not checked when started without a secret", async () => {
    const { process, post } = await receiver([]);
    await post(signed());
    await process.waitFor("signature: not checked");
  });

  it("does not count requests other than POST towards --fail-first", async () => {
    const { url, post } = await receiver(["--fail-first", "1"]);
    expect((await fetch(url)).status).toBe(200);
    expect((await post(signed())).status).toBe(500);
  });

  it("verifies an ed25519 delivery with --public-key and reports a v1a signature by another key as invalid", async () => {
    const signer = ed25519Key();
    const stranger = ed25519Key();
    const { process, post } = await receiver(["--public-key", signer.whpk, "--json"]);
    await post(signedV1a(signer.privateKey));
    await post(signedV1a(stranger.privateKey));
    await process.waitFor('"number":2');
    const [, good, bad] = process.jsonLines();
    expect(good.verification).toMatchObject({ result: "valid", scheme: "ed25519", id: "msg_1" });
    expect(bad.verification).toMatchObject({ result: "invalid", code: "no_matching_signature" });
  });

  describe("refuses to start, with exit code 2, when a key is of the wrong kind for the scheme", () => {
    const whpk = ed25519Key().whpk;
    const whsk = "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=";
    it.each([
      ["standard", "a whpk_ public key", ["--scheme", "standard", "--secret", whpk], "The standard scheme verifies with the endpoint's whsec_ secret"],
      ["standard", "a whsk_ private key", ["--secret", whsk], "whsk_ is a private key"],
      ["hmac-sha256", "a whpk_ public key", ["--scheme", "hmac-sha256", "--secret", whpk], "The hmac-sha256 scheme verifies with the endpoint's whsec_ secret"],
      ["hmac-sha256", "a whsk_ private key", ["--scheme", "hmac-sha256", "--secret", whsk], "whsk_ is a private key"],
      ["ed25519", "a whsec_ secret", ["--public-key", SECRET], "The ed25519 scheme verifies with the endpoint's whpk_ public key"],
      ["ed25519", "a whsk_ private key", ["--scheme", "ed25519", "--public-key", whsk], "whsk_ is a private key"],
    ])("%s with %s", async (_scheme, _key, flags, message) => {
      const result = await run(RECEIVER, ["--port", "0", ...flags]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    });

    it("a wrong key from the environment too: hmac-sha256 with EDGEHOOK_SECRET set to a whpk_ key", async () => {
      const result = await run(RECEIVER, ["--port", "0", "--scheme", "hmac-sha256"], { EDGEHOOK_SECRET: whpk });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("The hmac-sha256 scheme verifies with the endpoint's whsec_ secret");
    });

    it("a whpk_ key upper-cased or still in the quotes it was copied with: hmac-sha256 refuses it too", async () => {
      for (const secret of [`WHPK_${whpk.slice("whpk_".length)}`, `"${whpk}"`]) {
        const result = await run(RECEIVER, ["--port", "0", "--scheme", "hmac-sha256", "--secret", secret]);
        expect(result.code, secret).toBe(2);
        expect(result.stderr).toContain("The hmac-sha256 scheme verifies with the endpoint's whsec_ secret");
      }
    });
  });

  it("verifies hmac-sha256 with a secret that is not whsec_, as an endpoint given its own secret may have", async () => {
    const secret = "a-secret-chosen-by-hand";
    const { process, post } = await receiver(["--scheme", "hmac-sha256", "--secret", secret, "--json"]);
    const mac = createHmac("sha256", secret).update(BODY).digest("hex");
    await post({ "content-type": "application/json", "webhook-id": "msg_1", "webhook-timestamp": "1", "x-webhook-signature": mac });
    await process.waitFor('"number":1');
    expect(process.jsonLines()[1].verification).toMatchObject({ result: "valid", scheme: "hmac-sha256" });
  });

  it("refuses to start with a secret that is not whsec_ base64, with exit code 2", async () => {
    const result = await run(RECEIVER, ["--port", "0", "--secret", "whsec_not*base64"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("whsec_ followed by base64");
  });
});
