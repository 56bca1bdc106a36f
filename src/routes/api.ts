import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import type { z } from "zod";
import { validationError } from "../errors";

/**
 * A route group whose failed zod validation answers in the one error shape (400 with `issues`)
 * instead of zod's raw output.
 */
export function createApi() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target === "json" ? "request body" : result.target);
    },
  });
}

/** The JSON request-body block of a route definition. */
export function jsonBody<T>(schema: T, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } } as const;
}

/** A JSON response block of a route definition. */
export function jsonResponse<T>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

/**
 * Validates an optional JSON body: the validator skips a request sent without one, so schema
 * defaults are applied here for both cases.
 */
export function parseOptionalBody<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw validationError(parsed.error, "request body");
  return parsed.data;
}
