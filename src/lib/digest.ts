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
