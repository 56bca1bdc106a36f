import { fromBase64, fromBase64Url, randomBytes, toBase64, toBase64Url } from "../lib/base64";
import { IsolateCache } from "../lib/isolate-cache";

/**
 * The two kinds of signing key an owner's secret set may hold, told apart by their prefix
 * (Standard Webhooks' serialisation):
 *   `whsec_` + base64 of 24–64 random bytes: an HMAC key (schemes `standard` and `hmac-sha256`)
 *   `whsk_`  + base64 of a 32-byte Ed25519 seed: a private key (scheme `ed25519`, signatures `v1a`)
 * The public half of a `whsk_` key is shown as `whpk_` + base64 of its 32 raw bytes.
 *
 * Edgehook stores `whsk_` keys as the 32-byte seed (RFC 8032's private key). On input it also takes
 * the 64-byte form (seed followed by the public key) that libsodium and Svix export, and keeps only
 * the seed once the public half has been checked against it.
 */
export type KeyKind = "hmac" | "ed25519";

const HMAC_SECRET_PREFIX = "whsec_";
const ED25519_SECRET_PREFIX = "whsk_";
const ED25519_PUBLIC_PREFIX = "whpk_";

const MIN_HMAC_BYTES = 24;
const MAX_HMAC_BYTES = 64;
const SEED_BYTES = 32;
/** The DER header of a PKCS #8 Ed25519 private key (RFC 8410), followed by the 32-byte seed. */
const PKCS8_ED25519_HEADER = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** The kind of key a stored or supplied key string is (by its prefix). */
export function keyKindOf(key: string): KeyKind {
  return key.startsWith(ED25519_SECRET_PREFIX) ? "ed25519" : "hmac";
}

/** The key kind a signature scheme signs with. */
export function keyKindOfScheme(scheme: "standard" | "hmac-sha256" | "ed25519"): KeyKind {
  return scheme === "ed25519" ? "ed25519" : "hmac";
}

/** Bytes of `prefix` + strict base64, or null when `value` is not that. */
function prefixedBase64(value: string, prefix: string): Uint8Array | null {
  if (!value.startsWith(prefix)) return null;
  const body = value.slice(prefix.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return null;
  try {
    return fromBase64(body);
  } catch {
    return null;
  }
}

/** Whether `value` is `whsec_` followed by the base64 of 24–64 bytes. */
export function isWellFormedHmacSecret(value: string): boolean {
  const bytes = prefixedBase64(value, HMAC_SECRET_PREFIX);
  return bytes !== null && bytes.length >= MIN_HMAC_BYTES && bytes.length <= MAX_HMAC_BYTES;
}

/**
 * Whether `value` is `whsk_` followed by the base64 of a 32-byte seed or of 64 bytes (seed and
 * public key). Whether the public half of a 64-byte key matches its seed is checked by
 * normalizeSigningKey, which needs Web Crypto.
 */
export function isWellFormedEd25519Secret(value: string): boolean {
  const bytes = prefixedBase64(value, ED25519_SECRET_PREFIX);
  return bytes !== null && (bytes.length === SEED_BYTES || bytes.length === 2 * SEED_BYTES);
}

/** A fresh key of `kind`: `whsec_` + 32 random bytes, or `whsk_` + a random 32-byte seed. */
export function generateSigningKey(kind: KeyKind): string {
  return (kind === "ed25519" ? ED25519_SECRET_PREFIX : HMAC_SECRET_PREFIX) + toBase64(randomBytes(SEED_BYTES));
}

function pkcs8Of(seed: Uint8Array): Uint8Array {
  const der = new Uint8Array(PKCS8_ED25519_HEADER.length + SEED_BYTES);
  der.set(PKCS8_ED25519_HEADER);
  der.set(seed, PKCS8_ED25519_HEADER.length);
  return der;
}

/** The raw 32-byte public key of a seed. */
async function publicKeyBytes(seed: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("pkcs8", pkcs8Of(seed), { name: "Ed25519" }, true, ["sign"]);
  const jwk = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  return fromBase64Url(jwk.x!);
}

/**
 * The public key of a `whsk_` key as receivers use it: `whpk_` + base64 of its 32 raw bytes.
 * @throws TypeError when `secret` is not a well-formed `whsk_` key
 */
async function ed25519PublicKey(secret: string): Promise<string> {
  const bytes = prefixedBase64(secret, ED25519_SECRET_PREFIX);
  if (!bytes || (bytes.length !== SEED_BYTES && bytes.length !== 2 * SEED_BYTES)) throw new TypeError("not a whsk_ key");
  return ED25519_PUBLIC_PREFIX + toBase64(await publicKeyBytes(bytes.subarray(0, SEED_BYTES)));
}

/** The public key an endpoint shows for its current key: `whpk_…` for an Ed25519 key, null for an HMAC secret. */
export async function publicKeyOf(key: string): Promise<string | null> {
  return keyKindOf(key) === "ed25519" ? ed25519PublicKey(key) : null;
}

/**
 * A supplied key in the form Edgehook stores: `whsec_` keys as given; `whsk_` keys as their
 * 32-byte seed. Returns null for a 64-byte `whsk_` key whose second half is not the public key of
 * its first (a truncated or spliced key, which would sign with a key nobody can verify).
 * Callers have checked the form with isWellFormedHmacSecret / isWellFormedEd25519Secret.
 */
export async function normalizeSigningKey(key: string): Promise<string | null> {
  if (keyKindOf(key) === "hmac") return key;
  const bytes = prefixedBase64(key, ED25519_SECRET_PREFIX)!;
  if (bytes.length === SEED_BYTES) return key;
  const seed = bytes.subarray(0, SEED_BYTES);
  const expected = await publicKeyBytes(seed);
  const given = bytes.subarray(SEED_BYTES);
  if (toBase64Url(expected) !== toBase64Url(given)) return null;
  return ED25519_SECRET_PREFIX + toBase64(seed);
}

const signingKeys = new IsolateCache<string, CryptoKey>({ ttlMs: Infinity, maxEntries: 1000, whenFull: "clear" });

/** Ed25519 signature (64 bytes) of `data` with a stored `whsk_` key; the imported key is reused in this isolate. */
export async function ed25519Sign(secret: string, data: Uint8Array): Promise<Uint8Array> {
  const key = await signingKeys.load(secret, async () => {
    const seed = fromBase64(secret.slice(ED25519_SECRET_PREFIX.length)).subarray(0, SEED_BYTES);
    return crypto.subtle.importKey("pkcs8", pkcs8Of(seed), { name: "Ed25519" }, false, ["sign"]);
  });
  return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, data));
}
