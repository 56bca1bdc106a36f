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

const withArticle = (type: string) => (type === "undefined" || type === "null" ? type : `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`);

/**
 * zod's built-in messages ("Invalid input: expected string, received undefined") as the predicate
 * of a sentence whose subject is the issue's path ("is required", "must be a string, not a
 * number"), like the project's own messages ("must be an absolute URL"). Custom messages pass as they are.
 */
function readableMessage(issue: ZodError["issues"][number]): string {
  if (issue.code === "invalid_type") {
    const received = /received (\w+)/.exec(issue.message)?.[1];
    if (received === "undefined") return "is required";
    return `must be ${withArticle(issue.expected)}${received ? `, not ${withArticle(received)}` : ""}`;
  }
  if (issue.code === "invalid_value" && issue.message.startsWith("Invalid option: expected one of ")) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  if (issue.code === "unrecognized_keys") {
    const names = issue.keys.map((key) => `"${key}"`).join(", ");
    return issue.keys.length === 1 ? `has a field it does not know: ${names}` : `has fields it does not know: ${names}`;
  }
  return issue.message;
}

/** Turns zod issues into the `issues` list of the error shape, with dotted paths and readable messages. */
export function issuesFromZod(error: ZodError): ErrorIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: readableMessage(issue),
  }));
}

/** A 400 `validation_failed` error carrying every zod issue. */
export function validationError(error: ZodError, where = "request"): ApiError {
  return new ApiError(400, "validation_failed", `The ${where} is invalid`, issuesFromZod(error));
}
