import { base64OrNull, concatBytes, hexOrNull, timingSafeEqual, toBytes, utf8, type Bytes } from "./encoding.ts";
import { InvalidTimestampError, MissingHeaderError, NoMatchingSignatureError } from "./errors.ts";

/** How far `webhook-timestamp` may be from the receiver's clock, either way, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** The hmac-sha256 scheme's signature header when the endpoint names none. */
export const DEFAULT_HMAC_HEADER = "x-webhook-signature";
/**
 * hmac-sha256 scheme: during a rotation's grace period, the signatures made with the older secrets
 * travel here (same form as the signature header, joined with ", "), so that the signature header
 * itself always holds exactly one signature, made with the current secret, as single-signature
 * verifiers (GitHub's among them) require.
 */
export const PREVIOUS_SIGNATURES_HEADER = "webhook-previous-signatures";

interface SecretOptions {
  /**
   * The endpoint's signing secret (`whsec_…`), or several while you roll a new one out on your
   * side: a signature made with any of them is accepted.
   */
  secret: string | readonly string[];
}

/** Options of the Standard Webhooks scheme (Edgehook's default). */
export interface StandardVerifyOptions extends SecretOptions {
  scheme?: "standard";
  /** Largest accepted distance between `webhook-timestamp` and now, in seconds, past or future. */
  toleranceSeconds?: number;
  /** The current time in milliseconds since the epoch; `Date.now` unless you test with a fixed clock. */
  now?: () => number;
}

/** Options of the hmac-sha256 scheme: match the endpoint's `signature.header` and `signature.prefix`. */
export interface HmacVerifyOptions extends SecretOptions {
  scheme: "hmac-sha256";
  /** Default `X-Webhook-Signature`. */
  header?: string;
  /** Default empty; GitHub style is `sha256=`. */
  prefix?: string;
}

export type VerifyOptions = StandardVerifyOptions | HmacVerifyOptions;

/** Request headers: a `Headers` object, or a plain object such as Node's `req.headers` (any case). */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** The raw request body, exactly as received. */
export type WebhookBody = string | Uint8Array | ArrayBuffer;

/** What a verified delivery tells you besides its body. */
export interface VerifiedWebhook {
  scheme: "standard" | "hmac-sha256";
  /** `webhook-id`: the message id, the same on every retry, so deduplicate on it. */
  id: string;
  /** `webhook-timestamp`: when this attempt was signed. */
  timestamp: Date;
}

/** Reads a header by name whatever the shape and case of the headers it was given. */
function headerReader(headers: WebhookHeaders): (name: string) => string | null {
  if (typeof (headers as Headers).get === "function") return (name) => (headers as Headers).get(name);
  const byName = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return (name) => {
    const value = byName.get(name.toLowerCase());
    if (value === undefined) return null;
    return typeof value === "string" ? value : value.join(", ");
  };
}

function requireHeader(read: (name: string) => string | null, name: string): string {
  const value = read(name)?.trim();
  if (!value) throw new MissingHeaderError(name.toLowerCase());
  return value;
}

function secretList(secret: string | readonly string[]): readonly string[] {
  const secrets = typeof secret === "string" ? [secret] : secret;
  if (secrets.length === 0 || secrets.some((s) => typeof s !== "string" || s.length === 0)) {
    throw new TypeError("verifyWebhook needs at least one non-empty secret");
  }
  return secrets;
}

/** The HMAC key of a standard-scheme secret: the base64 after `whsec_`. */
function standardKey(secret: string): Bytes {
  const key = base64OrNull(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
  // The message never repeats the secret: it may end up in logs.
  if (!key || key.length === 0) throw new TypeError("A standard-scheme secret must be whsec_ followed by base64");
  return key;
}

async function hmacSha256(key: Bytes, data: Bytes): Promise<Uint8Array> {
  // Node 18 has no global `crypto` unless told to.
  const subtle = typeof crypto === "undefined" ? undefined : crypto.subtle;
  if (!subtle) {
    throw new Error(
      "edgehook/verify needs Web Crypto (globalThis.crypto). On Node 18 run node with --experimental-global-webcrypto, " +
        'or set globalThis.crypto = (await import("node:crypto")).webcrypto first',
    );
  }
  const cryptoKey = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", cryptoKey, data));
}

/** Whether any candidate equals the HMAC of `data` under any of the keys. */
async function anyMatches(keys: readonly Bytes[], data: Bytes, candidates: readonly Uint8Array[]): Promise<boolean> {
  for (const key of keys) {
    const expected = await hmacSha256(key, data);
    if (candidates.some((candidate) => timingSafeEqual(expected, candidate))) return true;
  }
  return false;
}

function parseTimestamp(text: string): number {
  if (!/^\d{1,12}$/.test(text)) throw new InvalidTimestampError("malformed");
  return Number(text);
}

function checkTolerance(seconds: number, options: StandardVerifyOptions): void {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor((options.now?.() ?? Date.now()) / 1000);
  if (now - seconds > tolerance) throw new InvalidTimestampError("too_old", tolerance);
  if (seconds - now > tolerance) throw new InvalidTimestampError("too_new", tolerance);
}

/** Standard Webhooks: space-separated `v1,<base64>` over `{id}.{timestamp}.{body}`. */
async function verifyStandard(read: (name: string) => string | null, body: Bytes, options: StandardVerifyOptions) {
  const keys = secretList(options.secret).map(standardKey);
  const id = requireHeader(read, "webhook-id");
  const timestampText = requireHeader(read, "webhook-timestamp");
  const signatures = requireHeader(read, "webhook-signature");
  const seconds = parseTimestamp(timestampText);
  checkTolerance(seconds, options);

  const candidates = signatures.split(/\s+/).flatMap((entry) => {
    const bytes = entry.startsWith("v1,") ? base64OrNull(entry.slice("v1,".length)) : null;
    return bytes ? [bytes] : [];
  });
  const signed = concatBytes(utf8(`${id}.${timestampText}.`), body);
  if (!(await anyMatches(keys, signed, candidates))) throw new NoMatchingSignatureError("webhook-signature", candidates.length);
  return { id, seconds };
}

/** The signatures in an hmac-sha256 header value: `prefix` + hex, several joined with ", ". */
function hmacCandidates(value: string, prefix: string): Uint8Array[] {
  // A prefix may itself contain a comma; entries are then told apart by the space after the separator.
  const separator = prefix.includes(",") ? /,\s+/ : /\s*,\s*/;
  return value.split(separator).flatMap((entry) => {
    const bytes = entry.startsWith(prefix) ? hexOrNull(entry.slice(prefix.length)) : null;
    return bytes && bytes.length > 0 ? [bytes] : [];
  });
}

/**
 * hmac-sha256: `prefix` + hex HMAC of the body, keyed with the UTF-8 of the whole secret; during a
 * rotation, signatures with older secrets in PREVIOUS_SIGNATURES_HEADER. Only the body is signed,
 * so `webhook-id` and `webhook-timestamp` are read but prove nothing and no tolerance applies.
 */
async function verifyHmac(read: (name: string) => string | null, body: Bytes, options: HmacVerifyOptions) {
  const keys = secretList(options.secret).map(utf8);
  const header = (options.header ?? DEFAULT_HMAC_HEADER).toLowerCase();
  const prefix = options.prefix ?? "";
  const signatures = requireHeader(read, header);
  const id = requireHeader(read, "webhook-id");
  const seconds = parseTimestamp(requireHeader(read, "webhook-timestamp"));

  const candidates = [signatures, read(PREVIOUS_SIGNATURES_HEADER) ?? ""].flatMap((value) => hmacCandidates(value, prefix));
  if (!(await anyMatches(keys, body, candidates))) throw new NoMatchingSignatureError(header, candidates.length);
  return { id, seconds };
}

/**
 * Verifies one delivery from its raw body and headers and returns its id and timestamp.
 * Throws a `WebhookVerificationError` (`MissingHeaderError`, `InvalidTimestampError`,
 * `NoMatchingSignatureError`) when the request must be refused, and a `TypeError` when the
 * call itself is wrong (no secret, an unusable secret, a parsed body).
 *
 * @param body the body exactly as received: a string or bytes, never re-serialised JSON
 */
export async function verifyWebhook(body: WebhookBody, headers: WebhookHeaders, options: VerifyOptions): Promise<VerifiedWebhook> {
  if (typeof body !== "string" && !(body instanceof Uint8Array) && !(body instanceof ArrayBuffer)) {
    throw new TypeError("Pass the raw request body (a string or bytes), not parsed JSON: the signature covers the exact bytes");
  }
  const read = headerReader(headers);
  const bytes = toBytes(body);
  const { id, seconds } =
    options.scheme === "hmac-sha256" ? await verifyHmac(read, bytes, options) : await verifyStandard(read, bytes, options);
  return { scheme: options.scheme ?? "standard", id, timestamp: new Date(seconds * 1000) };
}
