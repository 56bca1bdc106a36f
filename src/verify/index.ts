/**
 * edgehook/verify: checks that a request really is an Edgehook delivery, in any runtime with
 * Web Crypto (Workers, Node ≥ 20 — or 18 with a global `crypto` —, Deno, Bun, browsers).
 */
export {
  InvalidTimestampError,
  MissingHeaderError,
  NoMatchingSignatureError,
  WebhookVerificationError,
  type TimestampProblem,
  type WebhookErrorCode,
} from "./errors.ts";
export { verifyWebhookMiddleware, type VerifyOptionsSource, type WebhookMiddlewareOptions, type WebhookVariables } from "./hono.ts";
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
