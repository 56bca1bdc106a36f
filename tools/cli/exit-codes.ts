import { EdgehookError } from "../../packages/client/src/index.ts";
import { UsageError } from "./context.ts";

/**
 * What the CLI's exit status means. Scripts can rely on these; README "CLI" lists them.
 */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** Something unexpected (a bug, an answer that is not the API's). */
  failure: 1,
  /** The command line is wrong: unknown command or flag, missing argument, no token or tenant. */
  usage: 2,
  /** The relay could not be reached or did not answer in time. */
  unreachable: 3,
  /** The relay refused the credentials (401 or 403). */
  unauthorized: 4,
  /** The tenant, endpoint, message or delivery does not exist (or is not yours): 404. */
  notFound: 5,
  /** The relay rejected the request: invalid input, conflict, too large (400, 409, 413, 422). */
  rejected: 6,
  /** The relay failed or is overloaded (5xx, 429). */
  relayError: 7,
} as const;

/** The exit status for an error a command threw. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return ExitCode.usage;
  if (!(error instanceof EdgehookError)) return ExitCode.failure;
  if (error.status === 0) return ExitCode.unreachable;
  if (error.status === 401 || error.status === 403) return ExitCode.unauthorized;
  if (error.status === 404) return ExitCode.notFound;
  if (error.status === 429 || error.status >= 500) return ExitCode.relayError;
  if (error.status >= 400) return ExitCode.rejected;
  return ExitCode.failure;
}

/** The error as stderr shows it: the API's error shape with --json, else a readable line per issue. */
export function describeError(error: unknown, json: boolean): string {
  if (error instanceof EdgehookError && error.status !== 0) {
    if (json) return JSON.stringify({ ...error.toJSON(), status: error.status });
    const issues = error.issues.map((issue) => `\n  - ${issue.path}: ${issue.message}`).join("");
    return `error: ${error.message} (${error.code}, HTTP ${error.status})${issues}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) return JSON.stringify({ error: { code: codeOf(error), message } });
  return `error: ${message}`;
}

function codeOf(error: unknown): string {
  if (error instanceof UsageError) return "usage";
  if (error instanceof EdgehookError) return "unreachable";
  return "failure";
}
