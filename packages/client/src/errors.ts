/** One problem with the request, as the API's error shape lists it. */
export interface Issue {
  /** Dotted path into the request (`messages.3.payload`, `filter`). */
  path: string;
  message: string;
}

/** The one error shape every Edgehook error response has. */
export interface ErrorBody {
  error: { code: string; message: string; issues?: Issue[] };
}

/** Codes the client itself gives an error that has no answer from the relay behind it. */
export type ClientErrorCode =
  /** The relay could not be reached (DNS, refused connection, reset). */
  | "network_error"
  /** No complete answer within the `timeoutMs` of an attempt. */
  | "timeout"
  /** An error status whose body is not the API's error shape (a proxy's page, say). */
  | "http_error"
  /** A success status whose body is not JSON. */
  | "not_json";

/**
 * Every failure of an Edgehook call: an error status from the relay (after the client's retries, for
 * the retryable ones), or no answer at all. `status` is the HTTP status, or 0 when there was no
 * answer; `code`, `message` and `issues` are the API's error shape (`validation_failed`,
 * `not_found`…), or one of the client's own codes (`ClientErrorCode`) when the relay did not
 * send one.
 */
export class EdgehookError extends Error {
  /** HTTP status of the relay's answer; 0 when there was none (network error, timeout). */
  readonly status: number;
  /** snake_case error code: the API's, or a `ClientErrorCode`. */
  readonly code: string;
  /** Each problem with the request (validation errors name the field); empty when the API gave none. */
  readonly issues: Issue[];
  /** What the relay's Retry-After asked for, in seconds, when it sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: { status: number; code: string; message: string; issues?: Issue[]; retryAfterSeconds?: number; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "EdgehookError";
    this.status = init.status;
    this.code = init.code;
    this.issues = init.issues ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** The error in the API's one error shape (what `JSON.stringify` writes). */
  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.issues.length ? { issues: this.issues } : {}) } };
  }
}

/**
 * The error for an error status: the API's error shape when `body` (parsed JSON, or the text when it
 * was not JSON) has it, else `http_error`.
 */
export function errorFromResponse(status: number, body: unknown, retryAfterSeconds: number | undefined): EdgehookError {
  const error = (body as Partial<ErrorBody> | null | undefined)?.error;
  if (typeof error?.code === "string" && typeof error.message === "string") {
    return new EdgehookError({ status, code: error.code, message: error.message, issues: error.issues, retryAfterSeconds });
  }
  return new EdgehookError({ status, code: "http_error", message: `The relay answered HTTP ${status}`, retryAfterSeconds });
}
