/** What was wrong with a webhook that failed verification. */
export type WebhookErrorCode = "missing_header" | "invalid_timestamp" | "no_matching_signature";

/**
 * A webhook that failed verification. Messages say which header was at fault and why, and never
 * contain a secret or the signature that was expected, so they are safe to log or return.
 */
export class WebhookVerificationError extends Error {
  readonly code: WebhookErrorCode;

  constructor(code: WebhookErrorCode, message: string) {
    super(message);
    this.name = "WebhookVerificationError";
    this.code = code;
  }
}

/** A signature header the scheme needs is absent or empty. */
export class MissingHeaderError extends WebhookVerificationError {
  /** The header's name, lowercase. */
  readonly header: string;

  constructor(header: string) {
    super("missing_header", `The ${header} header is missing`);
    this.name = "MissingHeaderError";
    this.header = header;
  }
}

/** Why a timestamp was refused. */
export type TimestampProblem = "malformed" | "too_old" | "too_new";

/** `webhook-timestamp` is not a unix time in seconds, or lies outside the tolerance. */
export class InvalidTimestampError extends WebhookVerificationError {
  readonly reason: TimestampProblem;

  constructor(reason: TimestampProblem, toleranceSeconds?: number) {
    const messages: Record<TimestampProblem, string> = {
      malformed: "The webhook-timestamp header is not a unix time in seconds",
      too_old: `The webhook-timestamp is more than ${toleranceSeconds} s in the past`,
      too_new: `The webhook-timestamp is more than ${toleranceSeconds} s in the future`,
    };
    super("invalid_timestamp", messages[reason]);
    this.name = "InvalidTimestampError";
    this.reason = reason;
  }
}

/** None of the signatures in the header was made with any of the secrets over this body. */
export class NoMatchingSignatureError extends WebhookVerificationError {
  constructor(header: string, candidates: number) {
    const messages = [
      `The ${header} header holds no signature in the expected format`,
      `The signature in the ${header} header does not match this body and secret`,
    ];
    super("no_matching_signature", messages[candidates] ?? `None of the ${candidates} signatures in the ${header} header matches this body and secret`);
    this.name = "NoMatchingSignatureError";
  }
}
