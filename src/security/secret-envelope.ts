import { fromBase64, randomBytes, toBase64 } from "../lib/base64";
import { IsolateCache } from "../lib/isolate-cache";

/**
 * Encryption at rest of what Edgehook keeps in KV: AES-GCM-256 envelopes
 * `{"v":1,"kid":"…","iv":"…","ct":"…"}` under the MASTER_KEY entry `kid`, with a random 96-bit IV per
 * write and the KV key as additional data, so a value copied to another key does not decrypt.
 */

/** Raised when a stored secret cannot be decrypted: it fails closed, never falls back to plaintext. */
export class SecretUnavailableError extends Error {
  override name = "SecretUnavailableError";
}

/** One entry of MASTER_KEY: its key id and its key material as base64 text. */
export interface MasterKeyEntry {
  kid: string;
  material: string;
}

/**
 * Parses `MASTER_KEY`: either one base64 key (version "1") or `kid:base64` entries separated by
 * commas, the first being the current one (new writes, derived keys) and the rest kept for reading
 * during rotation. Throws SecretUnavailableError when it is not set; the material is not decoded here.
 */
export function masterKeyEntries(masterKey: string | undefined): MasterKeyEntry[] {
  if (!masterKey?.trim()) throw new SecretUnavailableError("MASTER_KEY is not configured");
  return masterKey.split(",").map((entry, index) => {
    const [kid, material] = entry.includes(":") ? entry.trim().split(":", 2) : [String(index + 1), entry.trim()];
    return { kid: kid!, material: material! };
  });
}

interface MasterKey {
  kid: string;
  key: CryptoKey;
}

/** Imported master keys, by MASTER_KEY's text (a new value comes with a new deployment). */
const keyrings = new IsolateCache<string, MasterKey[]>({ ttlMs: Infinity, maxEntries: 4 });

/** The AES-GCM key of one MASTER_KEY entry (its material must be the base64 of 32 bytes). */
async function importMasterKey({ kid, material }: MasterKeyEntry): Promise<MasterKey> {
  let raw: Uint8Array;
  try {
    raw = fromBase64(material);
  } catch {
    throw new SecretUnavailableError(`MASTER_KEY entry ${kid} is not base64`);
  }
  if (raw.length !== 32) throw new SecretUnavailableError(`MASTER_KEY entry ${kid} must be 32 bytes`);
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { kid, key };
}

/** The AES-GCM keys of MASTER_KEY's entries, imported once per isolate. */
async function keyring(masterKey: string | undefined): Promise<MasterKey[]> {
  const entries = masterKeyEntries(masterKey);
  return keyrings.load(masterKey!, () => Promise.all(entries.map(importMasterKey)));
}

const encoder = new TextEncoder();

/**
 * Encrypts `value` (as JSON) for KV key `kvKey` under MASTER_KEY's current entry: the envelope text.
 * @throws SecretUnavailableError when MASTER_KEY is unset or malformed
 */
export async function seal(masterKey: string | undefined, kvKey: string, value: unknown): Promise<string> {
  const [current] = await keyring(masterKey);
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(kvKey) },
    current!.key,
    encoder.encode(JSON.stringify(value)),
  );
  return JSON.stringify({ v: 1, kid: current!.kid, iv: toBase64(iv), ct: toBase64(new Uint8Array(ct)) });
}

/**
 * Decrypts the envelope `stored` at KV key `kvKey` with the MASTER_KEY entry it names: the JSON value.
 * @throws SecretUnavailableError when it is no envelope, names an unknown key or fails authentication
 */
export async function open(masterKey: string | undefined, kvKey: string, stored: string): Promise<unknown> {
  const ring = await keyring(masterKey);
  let envelope: { v?: unknown; kid?: unknown; iv?: unknown; ct?: unknown };
  try {
    envelope = JSON.parse(stored);
  } catch {
    throw new SecretUnavailableError(`stored secret at ${kvKey} is not an envelope`);
  }
  const entry = ring.find((k) => k.kid === envelope.kid);
  if (envelope.v !== 1 || !entry || typeof envelope.iv !== "string" || typeof envelope.ct !== "string") {
    throw new SecretUnavailableError(`stored secret at ${kvKey} uses an unknown envelope or master key version`);
  }
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(envelope.iv), additionalData: encoder.encode(kvKey) },
      entry.key,
      fromBase64(envelope.ct),
    );
    return JSON.parse(new TextDecoder().decode(plain)) as unknown;
  } catch {
    throw new SecretUnavailableError(`stored secret at ${kvKey} failed authentication (tampered or wrong master key)`);
  }
}
