import type { z } from "zod";
import { fromBase64, toBase64, toHex } from "../lib/base64";
import { PREVIOUS_SIGNATURES_HEADER } from "../verify/verify";
import type { SignatureSchema } from "../schemas/endpoints";

/** How deliveries to an endpoint are signed (README "What a receiver gets"; the `webhooks` section of /openapi.json). */
export type SignatureConfig = z.infer<typeof SignatureSchema>;

/** Header of the hmac-sha256 scheme when the endpoint names none. */
export const DEFAULT_HMAC_HEADER = "X-Webhook-Signature";

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();
const KEY_CACHE_LIMIT = 1000;

/** Imports (once per isolate) the HMAC-SHA256 key for a secret under a scheme's key rule. */
function hmacKey(secret: string, scheme: SignatureConfig["scheme"]): Promise<CryptoKey> {
  const cacheKey = `${scheme}:${secret}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    // standard: key = base64-decoded part after "whsec_"; hmac-sha256: the UTF-8 bytes of the whole string.
    const raw = scheme === "standard" ? fromBase64(secret.slice("whsec_".length)) : encoder.encode(secret);
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}

async function hmac(secret: string, scheme: SignatureConfig["scheme"], data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret, scheme), encoder.encode(data)));
}

/**
 * The signature headers for one delivery attempt, one signature per active secret (current first).
 * standard: webhook-id / webhook-timestamp / webhook-signature ("v1,<base64>" space-separated).
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
  if (config.scheme === "standard") {
    const signed = `${messageId}.${timestampSeconds}.${body}`;
    const signatures = await Promise.all(secrets.map(async (s) => `v1,${toBase64(await hmac(s, "standard", signed))}`));
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
