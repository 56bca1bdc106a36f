import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";
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

/**
 * A 200 JSON response from text serialised already (a stored payload spliced in verbatim, see
 * src/lib/json-text.ts), typed as the route's JSON response: the route's schema still describes
 * it, Hono just cannot see through the text.
 */
export function jsonTextResponse<T>(c: Context, text: string): TypedResponse<JSONParsed<T>, 200, "json"> {
  return c.body(text, 200, { "content-type": "application/json" }) as unknown as TypedResponse<JSONParsed<T>, 200, "json">;
}
