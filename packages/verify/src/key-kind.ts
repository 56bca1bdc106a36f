/**
 * Which kind of key a receiver was configured with, and whether its scheme can use it: the one
 * rule `verifyWebhook` and the local receiver (`npm run receiver`) both apply before comparing
 * anything.
 *
 * Why it matters: an hmac-sha256 key is the UTF-8 of the whole secret string, so any string
 * "works" as one. An ed25519 endpoint's `whpk_` public key (which the API shows as its `secret`)
 * pasted into an HMAC setup would let anyone who saw the public key forge signatures the receiver
 * accepts. Keys are told apart by their prefix (Standard Webhooks' serialisation), so the check
 * cannot depend on the key's form being valid otherwise.
 */

/** The signature schemes a receiver verifies. */
export type VerifyScheme = "standard" | "hmac-sha256" | "ed25519";

/**
 * `secret`: an HMAC secret (`whsec_…`, or any other string an hmac-sha256 endpoint was given);
 * `public`: an Ed25519 public key (`whpk_…`); `private`: an Ed25519 private key (`whsk_…`).
 */
export type ReceiverKeyKind = "secret" | "public" | "private";

/**
 * The kind of `key`, by its prefix, in any case and whatever it was copied with before it
 * (whitespace, quotes, a zero-width space or BOM): `"whpk_…"` or `WHPK_…` as an HMAC key is still
 * a key anyone can compute from the public key. An HMAC secret never starts so (whsec_ + base64).
 */
export function receiverKeyKind(key: string): ReceiverKeyKind {
  const start = key.replace(/^[^A-Za-z0-9]+/, "").slice(0, 5).toLowerCase();
  if (start === "whpk_") return "public";
  if (start === "whsk_") return "private";
  return "secret";
}

const WANTED: Record<VerifyScheme, string> = {
  standard: "the endpoint's whsec_ secret",
  "hmac-sha256": "the endpoint's whsec_ secret",
  ed25519: "the endpoint's whpk_ public key",
};

/**
 * Throws unless `key` is of the kind `scheme` verifies with: an HMAC secret for `standard` and
 * `hmac-sha256`, a `whpk_` public key for `ed25519`. With no scheme named (verifyWebhook's default,
 * Standard Webhooks), each key picks the signatures it checks: a secret the `v1` ones, a public key
 * the `v1a` ones. A private `whsk_` key fits no scheme: receivers never need one.
 *
 * @throws TypeError saying which key the scheme wants; the message never repeats the key
 */
export function assertKeyFitsScheme(key: string, scheme: VerifyScheme | undefined): void {
  const kind = receiverKeyKind(key);
  const wanted = WANTED[scheme ?? "standard"];
  if (kind === "private") {
    throw new TypeError(`whsk_ is a private key, which receivers never need: verify with the endpoint's whpk_ public key (scheme ed25519) or its whsec_ secret`);
  }
  if (scheme === "ed25519" && kind === "secret") {
    throw new TypeError(`The ed25519 scheme verifies with ${wanted}; an HMAC secret (whsec_) cannot check Ed25519 signatures`);
  }
  if ((scheme === "standard" || scheme === "hmac-sha256") && kind === "public") {
    throw new TypeError(
      `The ${scheme} scheme verifies with ${wanted}, not a whpk_ public key: an HMAC keyed with a public key is one anyone can compute. ` +
        `For an ed25519 endpoint, verify with scheme ed25519 and its whpk_ public key`,
    );
  }
}
