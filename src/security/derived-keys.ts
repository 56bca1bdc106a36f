import { fromBase64 } from "../lib/base64";
import { IsolateCache } from "../lib/isolate-cache";
import { masterKeyEntries, SecretUnavailableError } from "./secret-envelope";

/** What a derived key is for; each purpose gets an independent key. */
export type KeyPurpose = "portal-link" | "dashboard-csrf";

const encoder = new TextEncoder();
/** Derived keys by purpose and MASTER_KEY text (a new value comes with a new deployment). */
const cache = new IsolateCache<string, CryptoKey>({ ttlMs: Infinity, maxEntries: 16 });

/**
 * The raw bytes of MASTER_KEY's current entry (the first; `kid:base64` or plain base64). Only the
 * current entry is used, so rotating MASTER_KEY also invalidates outstanding portal links and
 * dashboard form tokens, both of which live minutes to hours.
 */
function currentMasterKeyBytes(masterKey: string | undefined): Uint8Array {
  const [current] = masterKeyEntries(masterKey);
  if (!current?.material) throw new SecretUnavailableError("MASTER_KEY is not configured");
  try {
    return fromBase64(current.material);
  } catch {
    throw new SecretUnavailableError("MASTER_KEY's current entry is not base64");
  }
}

/**
 * An HMAC-SHA256 key for one purpose, derived with HKDF-SHA256 from MASTER_KEY's current entry
 * (info `edgehook/<purpose>`), so no extra secret has to be provisioned and the AES key that
 * seals signing secrets is never used for anything else.
 */
function derivedHmacKey(masterKey: string | undefined, purpose: KeyPurpose): Promise<CryptoKey> {
  return cache.load(`${purpose}\n${masterKey}`, async () => {
    const base = await crypto.subtle.importKey("raw", currentMasterKeyBytes(masterKey), "HKDF", false, ["deriveKey"]);
    return crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: encoder.encode(`edgehook/${purpose}`) },
      base,
      { name: "HMAC", hash: "SHA-256", length: 256 },
      false,
      ["sign", "verify"],
    );
  });
}

/** HMAC-SHA256 of `message` under the purpose's derived key. */
export async function hmacSign(masterKey: string | undefined, purpose: KeyPurpose, message: string): Promise<Uint8Array> {
  const key = await derivedHmacKey(masterKey, purpose);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

/** Whether `signature` is the HMAC of `message` under the purpose's key (compared in constant time). */
export async function hmacVerify(
  masterKey: string | undefined,
  purpose: KeyPurpose,
  message: string,
  signature: Uint8Array,
): Promise<boolean> {
  const key = await derivedHmacKey(masterKey, purpose);
  return crypto.subtle.verify("HMAC", key, signature, encoder.encode(message));
}
