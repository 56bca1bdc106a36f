/**
 * Rules for the static headers an endpoint may ask to be sent with every delivery. Edgehook's own
 * headers (content type, signatures, webhook-*) are always set by the sender and win over these;
 * the rules below reject what could smuggle requests or impersonate a signature outright.
 */

/** At most this many custom headers per endpoint. */
export const MAX_CUSTOM_HEADERS = 20;
/** Longest header name accepted. */
export const MAX_HEADER_NAME_LENGTH = 256;
/** Longest header value accepted. */
export const MAX_HEADER_VALUE_LENGTH = 4096;

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN_VALUE_CHARS = /[\r\n\u0000]/;

const RESERVED_NAMES = new Set([
  // hop-by-hop and framing
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
  "te", "trailer", "transfer-encoding", "upgrade", "host", "expect",
  // set by Edgehook for every delivery
  "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature",
  "x-webhook-signature", "x-hub-signature", "x-hub-signature-256", "x-mindee-hmac-signature",
]);

/** Whether Edgehook reserves this header name (case-insensitive) for itself. */
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_NAMES.has(lower) || lower.startsWith("content-") || lower.startsWith("cf-")
    || lower.startsWith("webhook-") || lower.startsWith("sec-");
}

/**
 * Checks one custom header and returns what is wrong with it, or null when it is acceptable.
 * `extraReserved` adds the header an endpoint's own hmac-sha256 signature uses.
 */
export function headerProblem(name: string, value: string, extraReserved?: string): string | null {
  if (name.length === 0 || name.length > MAX_HEADER_NAME_LENGTH) {
    return `header names must be 1–${MAX_HEADER_NAME_LENGTH} characters`;
  }
  if (!TOKEN.test(name)) return "header name contains characters not allowed in an HTTP token";
  if (isReservedHeader(name) || (extraReserved && name.toLowerCase() === extraReserved.toLowerCase())) {
    return `header "${name}" is set by Edgehook and cannot be overridden`;
  }
  if (value.length > MAX_HEADER_VALUE_LENGTH) {
    return `header values must be at most ${MAX_HEADER_VALUE_LENGTH} characters`;
  }
  if (FORBIDDEN_VALUE_CHARS.test(value)) return "header values must not contain CR, LF or NUL";
  return null;
}
