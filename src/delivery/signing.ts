import type { z } from "zod";
import { fromBase64, toBase64, toHex } from "../lib/base64";
import { IsolateCache } from "../lib/isolate-cache";
import { DEFAULT_HMAC_HEADER } from "../limits";
import { PREVIOUS_SIGNATURES_HEADER } from "../verify/index.ts";
import type { SignatureSchema } from "../schemas/endpoints";
import { ed25519Sign, keyKindOf } from "../security/signing-keys";

/** How deliveries to an endpoint are signed (README "What a receiver gets"; the `webhooks` section of /openapi.json). */
export type SignatureConfig = z.infer<typeof SignatureSchema>;

const encoder = new TextEncoder();
const keyCache = new IsolateCache<string, CryptoKey>({ ttlMs: Infinity, maxEntries: 1000, whenFull: "clear" });

/** Imports (once per isolate) the HMAC-SHA256 key for a secret under a scheme's key rule. */
function hmacKey(secret: string, scheme: "standard" | "hmac-sha256"): Promise<CryptoKey> {
  return keyCache.load(`${scheme}:${secret}`, async () => {
    // standard: key = base64-decoded part after "whsec_"; hmac-sha256: the UTF-8 bytes of the whole string.
    const raw = scheme === "standard" ? fromBase64(secret.slice("whsec_".length)) : encoder.encode(secret);
    return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  });
}

async function hmac(secret: string, scheme: "standard" | "hmac-sha256", data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret, scheme), encoder.encode(data)));
}

/**
 * The active keys (current first) that can sign under `config`: every key for `standard` and
 * `ed25519`, whose header carries both signature versions; only `whsec_` secrets for
 * `hmac-sha256`. An empty list means the delivery cannot be signed as configured, which happens
 * only after a switch from `ed25519` to `hmac-sha256` until the new secret reaches this isolate
 * (KV propagation, the 30 s cache): the consumer then sends nothing and the attempt is retried.
 */
export function signingKeysFor(config: SignatureConfig, keys: string[]): string[] {
  return config.scheme === "hmac-sha256" ? keys.filter((k) => keyKindOf(k) === "hmac") : keys;
}

/** One Standard Webhooks signature of `signed`: `v1,<HMAC>` for a `whsec_` secret, `v1a,<Ed25519>` for a `whsk_` key. */
async function standardSignature(key: string, signed: string): Promise<string> {
  if (keyKindOf(key) === "ed25519") return `v1a,${toBase64(await ed25519Sign(key, encoder.encode(signed)))}`;
  return `v1,${toBase64(await hmac(key, "standard", signed))}`;
}

/**
 * The signature headers for one delivery attempt, one signature per key (current first; pass
 * signingKeysFor's list).
 * standard / ed25519: webhook-id / webhook-timestamp / webhook-signature, space-separated, each
 * key signing `{id}.{timestamp}.{body}` in its own version: `v1,<base64 HMAC-SHA256>` for a
 * `whsec_` secret, `v1a,<base64 Ed25519>` for a `whsk_` key. The schemes differ in the kind of key
 * they rotate to; during the grace period after a switch between them both versions travel.
 * hmac-sha256: `header` = prefix + lowercase hex of HMAC(body) with the current secret only, as
 * single-signature verifiers (GitHub's) expect; the older secrets' signatures, during a
 * rotation's grace period, in `webhook-previous-signatures`, joined with ", ".
 */
export async function signatureHeaders(
  config: SignatureConfig,
  secrets: string[],
  messageId: string,
  timestampSeconds: number,
  body: string,
): Promise<Record<string, string>> {
  if (config.scheme !== "hmac-sha256") {
    const signed = `${messageId}.${timestampSeconds}.${body}`;
    const signatures = await Promise.all(secrets.map((key) => standardSignature(key, signed)));
    return {
      "webhook-id": messageId,
      "webhook-timestamp": String(timestampSeconds),
      "webhook-signature": signatures.join(" "),
    };
  }
  const prefix = config.prefix ?? "";
  const [current, ...previous] = await Promise.all(secrets.map(async (s) => prefix + toHex(await hmac(s, "hmac-sha256", body))));
  return {
    [config.header ?? DEFAULT_HMAC_HEADER]: current!,
    ...(previous.length > 0 ? { [PREVIOUS_SIGNATURES_HEADER]: previous.join(", ") } : {}),
  };
}
