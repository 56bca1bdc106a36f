/**
 * @edgehook/verify: checks that a request really is an Edgehook delivery, in any runtime with
 * Web Crypto (Workers, Node ≥ 20, Deno, Bun, browsers). No dependencies; the Hono middleware lives
 * in `@edgehook/verify/hono` so that this entry point needs no Hono, not even its types.
 */
export {
  InvalidTimestampError,
  MissingHeaderError,
  NoMatchingSignatureError,
  WebhookVerificationError,
  type TimestampProblem,
  type WebhookErrorCode,
} from "./errors.ts";
export { verifyDelivery, verifyRequest, type VerifiedDelivery } from "./request.ts";
export { assertKeyFitsScheme, receiverKeyKind, type ReceiverKeyKind, type VerifyScheme } from "./key-kind.ts";
export {
  checkVerifyOptions,
  DEFAULT_HMAC_HEADER,
  DEFAULT_TOLERANCE_SECONDS,
  PREVIOUS_SIGNATURES_HEADER,
  verifyWebhook,
  type HmacVerifyOptions,
  type StandardVerifyOptions,
  type Ed25519VerifyOptions,
  type VerifiedWebhook,
  type VerifyOptions,
  type WebhookBody,
  type WebhookHeaders,
} from "./verify.ts";
