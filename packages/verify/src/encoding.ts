const encoder = new TextEncoder();

/** Bytes in an ordinary (not shared) buffer, as Web Crypto takes them. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** UTF-8 bytes of a string. */
export function utf8(text: string): Bytes {
  return new Uint8Array(encoder.encode(text));
}

/** UTF-8 bytes of a string, or a copy of the bytes given (which may sit in a shared or pooled buffer). */
export function toBytes(data: string | Uint8Array | ArrayBuffer): Bytes {
  if (typeof data === "string") return utf8(data);
  return data instanceof Uint8Array ? new Uint8Array(data) : new Uint8Array(data.slice(0));
}

/** `a` followed by `b`. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Bytes {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}

/** Bytes of a standard base64 string, or null when it is not one. */
export function base64OrNull(text: string): Bytes | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  // The package has no dependencies, so it decodes with the platform's atob (Workers, Node ≥ 16, Deno, Bun).
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return null;
  }
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Bytes of a hex string (either case), or null when it is not one. */
export function hexOrNull(text: string): Bytes | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * Whether two byte strings are equal, in a time that depends only on their lengths: every byte
 * is compared whatever the first difference, so timing tells an attacker nothing about how much
 * of a forged signature was right. Lengths are not secret (an HMAC-SHA256 is always 32 bytes).
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
