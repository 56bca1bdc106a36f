import { toHex } from "./base64";

const encoder = new TextEncoder();

/** The SHA-256 digest of a string's UTF-8 bytes. */
export function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/** The lowercase hex SHA-256 of a string's UTF-8 bytes (64 characters). */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(await sha256(text));
}

/** The lowercase hex HMAC-SHA256 of a string's UTF-8 bytes under `key`'s UTF-8 bytes (64 characters). */
export async function hmacSha256Hex(key: string, text: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(text)));
}
