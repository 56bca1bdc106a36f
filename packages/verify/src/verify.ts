import { base64OrNull, concatBytes, hexOrNull, timingSafeEqual, toBytes, utf8, type Bytes } from "./encoding.ts";
import { InvalidTimestampError, MissingHeaderError, NoMatchingSignatureError } from "./errors.ts";
import { assertKeyFitsScheme, receiverKeyKind } from "./key-kind.ts";

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

interface TimestampOptions {
  /** Largest accepted distance between `webhook-timestamp` and now, in seconds, past or future. */
  toleranceSeconds?: number;
  /** The current time in milliseconds since the epoch; `Date.now` unless you test with a fixed clock. */
  now?: () => number;
}

/**
 * Options of the Standard Webhooks scheme (Edgehook's default). With `scheme` left out, `secret`
 * may also hold `whpk_` public keys (what `GET …/secret` shows for an ed25519 endpoint): each
 * checks the `v1a` signatures, each `whsec_` secret the `v1` ones. With `scheme: "standard"`
 * named, every key must be a secret: a `whpk_` key is a TypeError, as for hmac-sha256.
 */
export interface StandardVerifyOptions extends SecretOptions, TimestampOptions {
  scheme?: "standard";
}

/**
 * Options of the ed25519 scheme (Standard Webhooks `v1a`): only Ed25519 signatures made with the
 * private key of one of these public keys are accepted; `v1` (HMAC) signatures are ignored.
 */
export interface Ed25519VerifyOptions extends TimestampOptions {
  scheme: "ed25519";
  /**
   * The endpoint's public key (`whpk_` + base64 of 32 bytes: its `public_key`), or several, e.g.
   * the previous one while a rotation's grace period lasts.
   */
  publicKey: string | readonly string[];
}

/** Options of the hmac-sha256 scheme: match the endpoint's `signature.header` and `signature.prefix`. */
export interface HmacVerifyOptions extends SecretOptions {
  scheme: "hmac-sha256";
  /** Default `X-Webhook-Signature`. */
  header?: string;
  /** Default empty; GitHub style is `sha256=`. */
  prefix?: string;
}

export type VerifyOptions = StandardVerifyOptions | HmacVerifyOptions | Ed25519VerifyOptions;

/** Request headers: a `Headers` object, or a plain object such as Node's `req.headers` (any case). */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** The raw request body, exactly as received. */
export type WebhookBody = string | Uint8Array | ArrayBuffer;

/** What a verified delivery tells you besides its body. */
export interface VerifiedWebhook {
  /** Which kind of signature verified: `standard` (`v1`, HMAC), `ed25519` (`v1a`) or `hmac-sha256`. */
  scheme: "standard" | "hmac-sha256" | "ed25519";
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

function secretList(secret: string | readonly string[], what = "secret"): readonly string[] {
  if (typeof secret !== "string" && !Array.isArray(secret)) throw new TypeError(`verifyWebhook needs at least one non-empty ${what}`);
  const secrets = typeof secret === "string" ? [secret] : secret;
  if (secrets.length === 0 || secrets.some((s) => typeof s !== "string" || s.length === 0)) {
    throw new TypeError(`verifyWebhook needs at least one non-empty ${what}`);
  }
  return secrets;
}

/** The HMAC key of a standard-scheme secret: the base64 after `whsec_`. */
function standardKey(secret: string): Bytes {
  // The messages never repeat the secret: they may end up in logs.
  const key = base64OrNull(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
  if (!key || key.length === 0) throw new TypeError("A standard-scheme secret must be whsec_ followed by base64");
  return key;
}

/** The raw 32 bytes of a `whpk_` public key. */
function ed25519PublicKey(publicKey: string): Bytes {
  const key = publicKey.startsWith("whpk_") ? base64OrNull(publicKey.slice("whpk_".length)) : null;
  if (!key || key.length !== 32) throw new TypeError("An Ed25519 public key must be whpk_ followed by the base64 of 32 bytes");
  return key;
}

function subtleCrypto(): SubtleCrypto {
  // Node 18 has no global `crypto` unless told to.
  const subtle = typeof crypto === "undefined" ? undefined : crypto.subtle;
  if (!subtle) {
    throw new Error(
      "edgehook/verify needs Web Crypto (globalThis.crypto). On Node 18 run node with --experimental-global-webcrypto, " +
        'or set globalThis.crypto = (await import("node:crypto")).webcrypto first',
    );
  }
  return subtle;
}

async function hmacSha256(key: Bytes, data: Bytes): Promise<Uint8Array> {
  const subtle = subtleCrypto();
  const cryptoKey = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", cryptoKey, data));
}

/** Whether any candidate is an Ed25519 signature of `data` by any of the public keys. */
async function anyEd25519Matches(publicKeys: readonly Bytes[], data: Bytes, candidates: readonly Bytes[]): Promise<boolean> {
  const subtle = subtleCrypto();
  for (const raw of publicKeys) {
    const key = await subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    for (const candidate of candidates) {
      if (await subtle.verify({ name: "Ed25519" }, key, candidate, data)) return true;
    }
  }
  return false;
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

function checkTolerance(seconds: number, options: TimestampOptions): void {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor((options.now?.() ?? Date.now()) / 1000);
  if (now - seconds > tolerance) throw new InvalidTimestampError("too_old", tolerance);
  if (seconds - now > tolerance) throw new InvalidTimestampError("too_new", tolerance);
}

/** The keys a verification accepts: HMAC keys (`v1` or hmac-sha256), Ed25519 public keys (`v1a`). */
interface Keys {
  hmac: readonly Bytes[];
  ed25519: readonly Bytes[];
}

/** The public keys of the ed25519 scheme; keys passed as `secret` instead are refused by kind first. */
function ed25519Keys(options: Ed25519VerifyOptions): Bytes[] {
  const misplaced = (options as { secret?: string | readonly string[] }).secret;
  if (options.publicKey === undefined && misplaced !== undefined) {
    for (const key of secretList(misplaced)) assertKeyFitsScheme(key, "ed25519");
    throw new TypeError("The ed25519 scheme takes the endpoint's whpk_ public key as publicKey, not as secret");
  }
  const publicKeys = secretList(options.publicKey, "public key");
  for (const key of publicKeys) assertKeyFitsScheme(key, "ed25519");
  return publicKeys.map(ed25519PublicKey);
}

/**
 * The keys `options` verify with, each checked against its scheme's kind (key-kind.ts) and its
 * form, so that a misconfigured receiver fails before any signature is compared.
 */
function keysOf(options: VerifyOptions): Keys {
  if (options.scheme === "ed25519") return { hmac: [], ed25519: ed25519Keys(options) };
  const secrets = secretList(options.secret);
  for (const key of secrets) assertKeyFitsScheme(key, options.scheme);
  if (options.scheme === "hmac-sha256") return { hmac: secrets.map(utf8), ed25519: [] };
  return {
    hmac: secrets.filter((s) => receiverKeyKind(s) === "secret").map(standardKey),
    ed25519: secrets.filter((s) => receiverKeyKind(s) === "public").map(ed25519PublicKey),
  };
}

/**
 * Checks verify options as `verifyWebhook` does before it reads a request: every key of the kind
 * its scheme verifies with (no `whpk_` for the HMAC schemes, no `whsec_` for ed25519, never a
 * `whsk_` private key) and well formed. For tools that take keys from a command line or config
 * and should refuse a wrong one at start rather than on the first delivery.
 *
 * @throws TypeError naming what is wrong and what key the scheme wants
 */
export function checkVerifyOptions(options: VerifyOptions): void {
  keysOf(options);
}

/**
 * Standard Webhooks: space-separated `v1,<base64 HMAC>` and `v1a,<base64 Ed25519>` signatures over
 * `{id}.{timestamp}.{body}`; each version is checked only against keys of its kind.
 */
async function verifyStandard(read: (name: string) => string | null, body: Bytes, options: StandardVerifyOptions | Ed25519VerifyOptions) {
  const keys = keysOf(options);
  const id = requireHeader(read, "webhook-id");
  const timestampText = requireHeader(read, "webhook-timestamp");
  const signatures = requireHeader(read, "webhook-signature");
  const seconds = parseTimestamp(timestampText);
  checkTolerance(seconds, options);

  const entries = signatures.split(/\s+/);
  const versioned = (version: string, length?: number) =>
    entries.flatMap((entry) => {
      const bytes = entry.startsWith(version) ? base64OrNull(entry.slice(version.length)) : null;
      return bytes && (length === undefined || bytes.length === length) ? [bytes] : [];
    });
  const hmacCandidates = keys.hmac.length > 0 ? versioned("v1,") : [];
  const ed25519Candidates = keys.ed25519.length > 0 ? versioned("v1a,", 64) : [];
  const signed = concatBytes(utf8(`${id}.${timestampText}.`), body);
  if (await anyMatches(keys.hmac, signed, hmacCandidates)) return { id, seconds, scheme: "standard" as const };
  if (await anyEd25519Matches(keys.ed25519, signed, ed25519Candidates)) return { id, seconds, scheme: "ed25519" as const };
  throw new NoMatchingSignatureError("webhook-signature", hmacCandidates.length + ed25519Candidates.length);
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
  const keys = keysOf(options).hmac;
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
 * Verifies one delivery from its raw body and headers and returns its id, timestamp and the kind
 * of signature that verified.
 * Throws a `WebhookVerificationError` (`MissingHeaderError`, `InvalidTimestampError`,
 * `NoMatchingSignatureError`) when the request must be refused, and a `TypeError` when the
 * call itself is wrong (no secret, an unusable secret or public key, a key of the wrong kind for
 * the scheme — see checkVerifyOptions —, a parsed body), before any signature is compared.
 *
 * @param body the body exactly as received: a string or bytes, never re-serialised JSON
 */
export async function verifyWebhook(body: WebhookBody, headers: WebhookHeaders, options: VerifyOptions): Promise<VerifiedWebhook> {
  if (typeof body !== "string" && !(body instanceof Uint8Array) && !(body instanceof ArrayBuffer)) {
    throw new TypeError("Pass the raw request body (a string or bytes), not parsed JSON: the signature covers the exact bytes");
  }
  const read = headerReader(headers);
  const bytes = toBytes(body);
  const { id, seconds, scheme } =
    options.scheme === "hmac-sha256"
      ? { ...(await verifyHmac(read, bytes, options)), scheme: "hmac-sha256" as const }
      : await verifyStandard(read, bytes, options);
  return { scheme, id, timestamp: new Date(seconds * 1000) };
}
