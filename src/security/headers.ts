/**
 * Rules for the static headers an endpoint may ask to be sent with every delivery. Edgehook's own
 * headers (content type, user agent, webhook-*, the signature) are always set by the sender after
 * the custom ones and win over them; the rules below also refuse, outright, anything that could
 * smuggle a request, change its framing or routing, or impersonate a signature.
 */
import {
  MAX_CUSTOM_HEADERS,
  MAX_HEADER_NAME_LENGTH,
  MAX_HEADER_VALUE_LENGTH,
  MAX_HEADERS_TOTAL_BYTES,
} from "../limits";

/** An RFC 9110 token: the only characters a header name may use. */
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// eslint-disable-next-line no-control-regex
const CR_LF_NUL = /[\r\n\u0000]/;
/** Visible ASCII, space and tab: what a header value may hold (no other controls, no obs-text). */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;

/** Hop-by-hop, framing and routing headers: the transport's business, never an endpoint's. */
const TRANSPORT_HEADERS = new Set([
  "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
  "http2-settings", "host", "expect", "max-forwards", "via", "forwarded", "x-forwarded-for",
  "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "true-client-ip",
]);
/** Signature headers of the hmac-sha256 scheme: Edgehook's default, GitHub's and Mindee's. */
const SIGNATURE_HEADERS = new Set(["x-webhook-signature", "x-hub-signature", "x-hub-signature-256", "x-mindee-hmac-signature"]);
/** Whole families: framing (content-*), Cloudflare's own (cf-*), browser-only (sec-*), proxies, webhook schemes. */
const RESERVED_PREFIXES = ["content-", "cf-", "sec-", "proxy-", "webhook-", "svix-"];

/** Whether Edgehook reserves this header name (case-insensitive) for itself or the transport. */
function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return TRANSPORT_HEADERS.has(lower) || lower === "user-agent" || SIGNATURE_HEADERS.has(lower)
    || RESERVED_PREFIXES.some((p) => lower.startsWith(p));
}

/**
 * Checks one custom header and returns what is wrong with it, or null when it is acceptable.
 * `extraReserved` adds the header an endpoint's own hmac-sha256 signature uses.
 */
export function headerProblem(name: string, value: string, extraReserved?: string): string | null {
  if (CR_LF_NUL.test(name)) return "header names must not contain CR, LF or NUL";
  if (name.length === 0 || name.length > MAX_HEADER_NAME_LENGTH) {
    return `header names must be 1–${MAX_HEADER_NAME_LENGTH} characters`;
  }
  if (!TOKEN.test(name)) return "header name contains characters not allowed in an HTTP token";
  if (isReservedHeader(name) || (extraReserved && name.toLowerCase() === extraReserved.toLowerCase())) {
    return `header "${name}" is set by Edgehook or the transport and cannot be overridden`;
  }
  if (CR_LF_NUL.test(value)) return "header values must not contain CR, LF or NUL";
  if (value.length > MAX_HEADER_VALUE_LENGTH) {
    return `header values must be at most ${MAX_HEADER_VALUE_LENGTH} characters`;
  }
  if (!FIELD_VALUE.test(value)) return "header values must be printable ASCII (tabs allowed)";
  return null;
}

/** Problems of a whole header set that no single header shows: count and total size. */
export function headerSetProblem(headers: Record<string, string>): string | null {
  const entries = Object.entries(headers);
  if (entries.length > MAX_CUSTOM_HEADERS) return `at most ${MAX_CUSTOM_HEADERS} headers`;
  const bytes = entries.reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
  if (bytes > MAX_HEADERS_TOTAL_BYTES) return `custom headers may take at most ${MAX_HEADERS_TOTAL_BYTES} bytes together`;
  return null;
}

/**
 * Why a header may not carry an hmac-sha256 signature, or null. The known signature headers are
 * fine; anything the transport or Edgehook owns (Host, Content-Type, webhook-*, …) is not.
 */
export function signatureHeaderProblem(name: string): string | null {
  if (SIGNATURE_HEADERS.has(name.toLowerCase())) return null;
  return isReservedHeader(name) ? `"${name}" is set by Edgehook or the transport and cannot carry a signature` : null;
}

/**
 * The custom headers that pass the rules, for the sender: a row written before a rule existed
 * never puts a header the rules now refuse on the wire (and never makes `new Headers` throw).
 */
export function sendableHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name, value]) => headerProblem(name, value) === null));
}
