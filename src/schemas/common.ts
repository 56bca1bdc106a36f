import { z } from "@hono/zod-openapi";
import { DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE, MAX_TENANT_ID_LENGTH } from "../limits";

/** The one error shape (DESIGN.md), used by every non-2xx JSON response. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "validation_failed" }),
      message: z.string().openapi({ example: "The request body is invalid" }),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi("Error");

/** A tenant id: a UUID v4 when generated, or a caller-chosen slug. */
export const TenantId = z
  .string()
  .regex(new RegExp(`^[A-Za-z0-9][A-Za-z0-9_-]{0,${MAX_TENANT_ID_LENGTH - 1}}$`), `must be 1–${MAX_TENANT_ID_LENGTH} letters, digits, '-' or '_', starting with a letter or digit`)
  .openapi({ example: "acme" });

/** Path parameters of every tenant-scoped route. */
export const TenantParams = z.object({
  tenant_id: TenantId.openapi({ param: { name: "tenant_id", in: "path" } }),
});

/** A resource id in a path. */
export const ResourceId = z.uuid().openapi({ example: "0b7f5e4e-6a43-4a4e-9a51-1d7e2f9b3c10" });

/** Cursor pagination query parameters shared by every list route. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).openapi({ param: { name: "limit", in: "query" } }),
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional().openapi({ param: { name: "cursor", in: "query" } }),
});

/** A page of `item`s with the cursor of the next page, or null on the last page. */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() }).openapi(name);
}

/** ISO-8601 timestamp in responses. */
export const Timestamp = z.string().openapi({ example: "2026-11-23T12:00:00.000Z" });

/**
 * Standard error responses, to spread into a route's `responses`. Every authenticated route may
 * also answer 429 (rate limited) and 503 (a target's DNS could not be checked, or D1 was briefly
 * unavailable), so those two are always listed.
 */
export function errorResponses(...statuses: Array<400 | 401 | 403 | 404 | 409 | 413 | 415 | 422>) {
  const descriptions: Record<number, string> = {
    400: "Invalid input; `issues` lists each problem",
    401: "Missing or wrong credentials",
    403: "`forbidden`: needs the admin token",
    404: "Not found (or not yours)",
    409: "Conflict with the current state",
    413: "`payload_too_large`: the body (or the payload; or the body once decompressed) is over the size limit, which the message states in bytes",
    415:
      "`unsupported_media_type`: send the body as application/json; `unsupported_content_encoding`: a Content-Encoding other than " +
      "gzip, deflate, br or identity, or any compressed body on a route other than enqueue (the message names it)",
    422:
      "`idempotency_key_reused`: the Idempotency-Key was used with a different request; `too_many_targets`: the message matches more than 65,535 endpoints; " +
      "`payload_schema_mismatch`: a payload does not match its event type's enforced schema (`issues` lists each mismatch by path); " +
      "`payload_too_complex`: checking a payload against its event type's schema would take more than the validation budget",
    429: "Rate limited; see Retry-After",
    503: "Temporarily unavailable (`dns_unavailable`: a target's DNS could not be checked; `temporarily_unavailable`: storage was busy, with Retry-After); retry",
  };
  return Object.fromEntries(
    [...statuses, 429, 503].map((s) => [s, { description: descriptions[s]!, content: { "application/json": { schema: ErrorSchema } } }]),
  ) as Record<number, { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }>;
}
