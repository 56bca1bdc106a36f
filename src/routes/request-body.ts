import { Buffer, isUtf8 } from "node:buffer";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../app-env";
import { readConfig } from "../config";
import { ApiError } from "../errors";
import { decodeBody, parseContentEncoding, REQUEST_CODINGS, type ContentEncoding } from "../lib/content-coding";
import { ENVELOPE_BYTES, MAX_BATCH_BODY_BYTES } from "../limits";

/**
 * How an API request's body is read, for every /v1 route: held to the route's size limit on the
 * wire, decoded when the enqueue routes get it compressed (with the decoded size held to the same
 * limit), and refused unless it is UTF-8. Routes then read the body with `c.req.json()` /
 * `c.req.text()` as if it had come uncompressed.
 */

/** A batch enqueue's path: its body carries up to MAX_BATCH_MESSAGES messages. */
const BATCH_PATH = /^\/v1\/tenants\/[^/]+\/messages\/batch$/;
/** The enqueue routes, the only ones whose body may be compressed: big batches are worth it, little else is. */
const COMPRESSIBLE_PATH = /^\/v1\/tenants\/[^/]+\/messages(?:\/batch)?$/;

/** The largest request body a path accepts, in bytes (decoded, when it came compressed): one message's worth, or a batch's. */
export function bodyLimitOf(path: string, maxPayloadBytes: number): number {
  const single = maxPayloadBytes + ENVELOPE_BYTES;
  return BATCH_PATH.test(path) ? Math.max(MAX_BATCH_BODY_BYTES, single) : single;
}

function tooLarge(limit: number, decoded: boolean): ApiError {
  const what = decoded ? "The request body, decompressed," : "The request body";
  return new ApiError(413, "payload_too_large", `${what} is over this route's limit of ${limit} bytes`);
}

/** Refuses a body over the route's limit as it arrives (before authentication: nothing is read past the limit). */
export const wireBodyLimit: MiddlewareHandler<AppEnv> = (c, next) => {
  const limit = bodyLimitOf(c.req.path, readConfig(c.env).MAX_PAYLOAD_BYTES);
  return bodyLimit({
    maxSize: limit,
    onError: () => {
      throw tooLarge(limit, false);
    },
  })(c, next);
};

/**
 * The text of a body whose bytes isUtf8 accepted, a leading byte order mark dropped as
 * Request.text() drops it. A `fatal` TextDecoder took ~20 % of the batch route's CPU profile on a
 * 400 KB body; isUtf8 and Buffer's UTF-8 decoding (both vectorised in workerd) take a third of that.
 */
function textOf(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Decodes a compressed enqueue body in place and refuses a body that is not valid UTF-8 (400
 * `invalid_json`, RFC 8259 §8.1) before anything decodes it with U+FFFD in place of the bad bytes:
 * a payload is kept exactly, and a name or description is stored as sent or not at all.
 * Runs after authentication, so only a caller with a key makes the Worker decompress anything.
 *
 * @throws ApiError 415 `unsupported_content_encoding` (a coding other than gzip, deflate, br or
 *   identity; or any coding on a route other than enqueue), 413 `payload_too_large` (decoded size
 *   over the limit: decoding stops there), 400 `corrupt_compressed_body`, 400 `invalid_json`
 */
export const requestBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const encoding = parseContentEncoding(c.req.header("content-encoding"));
  const coded = c.req.raw.body !== null && ("unsupported" in encoding || encoding.coding !== null);
  if (coded) await decodeInPlace(c.req, encoding, bodyLimitOf(c.req.path, readConfig(c.env).MAX_PAYLOAD_BYTES));
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (!isUtf8(bytes)) throw new ApiError(400, "invalid_json", "The request body is not valid UTF-8 (RFC 8259 §8.1)");
  keepText(c.req, textOf(bytes));
  await next();
};

type HonoRequest = Parameters<MiddlewareHandler<AppEnv>>[0]["req"];

/**
 * Keeps the body's text, checked and decoded once, where `c.req.json()` and `c.req.text()` look first, so the
 * validator's JSON.parse and the enqueue routes' exact-payload slicing reuse it: otherwise each
 * decodes the bytes again (a 400 KB batch body was decoded three times, ~10 % of the batch route's
 * time in a CPU profile). Hono keeps promises in `bodyCache` though its type names the values
 * (hono 4.13 request.js, #cachedBody), as its own validator's formData entry shows. package.json holds
 * hono to 4.13.x (`~`) so that a minor release that changes this cache is taken on purpose.
 */
function keepText(req: HonoRequest, text: string): void {
  req.bodyCache.text = Promise.resolve(text) as unknown as string;
}

/** Replaces the request with one carrying the decoded body, or throws why it cannot be decoded. */
async function decodeInPlace(req: HonoRequest, encoding: ContentEncoding, limit: number): Promise<void> {
  const named = "unsupported" in encoding ? encoding.unsupported : encoding.coding;
  if (!COMPRESSIBLE_PATH.test(req.path)) {
    throw new ApiError(415, "unsupported_content_encoding", `Content-Encoding ${named} is accepted on the enqueue routes only: send this body uncompressed`);
  }
  if ("unsupported" in encoding || encoding.coding === null) {
    throw new ApiError(415, "unsupported_content_encoding", `Content-Encoding ${named} is not supported: send ${REQUEST_CODINGS.join(", ")}, or no Content-Encoding`);
  }
  const coding = encoding.coding;
  // Read from the raw request, not through HonoRequest, whose body cache would keep the compressed bytes.
  const decoded = decodeBody(new Uint8Array(await req.raw.arrayBuffer()), coding, limit);
  if (!decoded.ok && decoded.problem === "too_large") throw tooLarge(limit, true);
  if (!decoded.ok) {
    throw new ApiError(400, "corrupt_compressed_body", `The request body is not valid ${coding} data (Content-Encoding ${coding}): ${decoded.detail}`);
  }
  const headers = new Headers(req.raw.headers);
  headers.delete("content-encoding");
  headers.set("content-length", String(decoded.bytes.byteLength));
  req.raw = new Request(req.raw.url, { method: req.raw.method, headers, body: decoded.bytes as Uint8Array<ArrayBuffer> });
}
