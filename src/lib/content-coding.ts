import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

/**
 * Request bodies sent with a Content-Encoding (RFC 9110 §8.4), decoded with the decoded size held
 * to a bound while decoding, so that a small body that inflates enormously (a "zip bomb") costs no
 * more than the bound in memory and CPU.
 *
 * The decoders are the runtime's `node:zlib` (`nodejs_compat`, as for stored payloads in
 * compression.ts), whose `maxOutputLength` makes zlib and brotli stop producing output at the bound
 * (test/content-coding.test.ts: a truncated 20 MB bomb is "too large", never "corrupt", because its
 * end is never reached). Not DecompressionStream: in workerd 1.20261023 its constructor refuses
 * "br" and "brotli" (cloudflare/workerd#6060 proposed adding it), and fed a whole body at once it
 * consumed the input to its end before the reader passed the bound (the same truncated bomb came out
 * "corrupt"), so it bounded neither memory nor CPU.
 */

/** The content codings a request body may arrive in, besides identity. */
export const REQUEST_CODINGS = ["gzip", "deflate", "br"] as const;
export type RequestCoding = (typeof REQUEST_CODINGS)[number];

/** Most characters of an unsupported Content-Encoding echoed back in an error: a header can be kilobytes long. */
export const MAX_NAMED_CODING_CHARS = 64;

/** What a Content-Encoding header asks for: nothing to decode, one coding we decode, or something else. */
export type ContentEncoding = { coding: RequestCoding | null } | { unsupported: string };

/**
 * Reads a Content-Encoding header: absent, empty or `identity` → no coding; one of
 * REQUEST_CODINGS (any case; `x-gzip` is gzip, RFC 9110 §8.4.1.3) → that coding. Anything else,
 * including two codings applied one after the other, is unsupported and named as it was sent, cut
 * to MAX_NAMED_CODING_CHARS (with "…" when cut).
 */
export function parseContentEncoding(header: string | null | undefined): ContentEncoding {
  const codings = (header ?? "")
    .split(",")
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== "" && token !== "identity");
  if (codings.length === 0) return { coding: null };
  const coding = codings.length === 1 ? (codings[0] === "x-gzip" ? "gzip" : codings[0]) : undefined;
  const known = REQUEST_CODINGS.find((name) => name === coding);
  if (known) return { coding: known };
  const sent = (header ?? "").trim();
  return { unsupported: sent.length > MAX_NAMED_CODING_CHARS ? `${sent.slice(0, MAX_NAMED_CODING_CHARS)}…` : sent };
}

/** A decoded body, or why there is none. */
export type DecodedBody = { ok: true; bytes: Uint8Array } | { ok: false; problem: "too_large" } | { ok: false; problem: "corrupt"; detail: string };

const DECODERS: Record<RequestCoding, (bytes: Uint8Array, options: { maxOutputLength: number }) => Uint8Array> = {
  gzip: gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

/**
 * Decodes `encoded` from `coding`, stopping as soon as more than `limitBytes` would come out.
 * `deflate` is the zlib format (RFC 1950), as HTTP defines it. Bytes after the end of a deflate or
 * br stream are ignored; after a gzip member they must be another gzip member.
 *
 * @param limitBytes the largest decoded size accepted, in bytes
 * @returns `too_large` past the limit, `corrupt` when the data is not a complete, valid stream of
 *   that coding (truncated, wrong format, bad checksum), with zlib's reason as `detail`
 */
export function decodeBody(encoded: Uint8Array, coding: RequestCoding, limitBytes: number): DecodedBody {
  try {
    return { ok: true, bytes: new Uint8Array(DECODERS[coding](encoded, { maxOutputLength: limitBytes })) };
  } catch (error) {
    // Reaching maxOutputLength is a RangeError (Node: ERR_BUFFER_TOO_LARGE; workerd: "Memory limit exceeded").
    if (error instanceof RangeError) return { ok: false, problem: "too_large" };
    return { ok: false, problem: "corrupt", detail: (error as Error).message };
  }
}
