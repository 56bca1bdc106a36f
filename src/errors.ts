import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z, ZodError } from "zod";
import type { ErrorSchema } from "./schemas/common";

/** The single error body every Edgehook response uses. */
export type ErrorBody = z.infer<typeof ErrorSchema>;

/** One entry of an error's `issues` list: which field, and what is wrong with it. */
export type ErrorIssue = NonNullable<ErrorBody["error"]["issues"]>[number];

/**
 * An error a handler throws to answer with the one error shape. Anything else thrown becomes a
 * 500 `internal_error` whose details stay in the logs.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly issues?: ErrorIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  /** The response body for this error. */
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) } };
  }
}

/** 404 for a resource that does not exist or belongs to another tenant (never tell them apart). */
export function notFound(what: string): ApiError {
  return new ApiError(404, "not_found", `${what} not found`);
}

/** Turns zod issues into the `issues` list of the error shape, with dotted paths. */
export function issuesFromZod(error: ZodError): ErrorIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
}

/** A 400 `validation_failed` error carrying every zod issue. */
export function validationError(error: ZodError, where = "request"): ApiError {
  return new ApiError(400, "validation_failed", `The ${where} is invalid`, issuesFromZod(error));
}
