import type { Context, MiddlewareHandler } from "hono";
import { WebhookVerificationError } from "./errors.ts";
import { verifyDelivery, type VerifiedDelivery } from "./request.ts";
import type { VerifyOptions } from "./verify.ts";

/** What the middleware adds to the context: `c.get("webhook")`. */
export interface WebhookVariables {
  webhook: VerifiedDelivery;
}

/** Verify options, or a function that builds them per request (to read the secret from `c.env`). */
export type VerifyOptionsSource = VerifyOptions | ((c: Context) => VerifyOptions | Promise<VerifyOptions>);

export interface WebhookMiddlewareOptions {
  /** The response to a delivery that fails verification; by default 401 with `{error: {code, message}}`. */
  onError?: (error: WebhookVerificationError, c: Context) => Response | Promise<Response>;
}

function refuse(error: WebhookVerificationError, c: Context): Response {
  return c.json({ error: { code: error.code, message: error.message } }, 401);
}

/**
 * Hono middleware that verifies each request as an Edgehook delivery and puts the result in
 * `c.get("webhook")` (id, timestamp, body, payload). The body stays readable with
 * `c.req.json()` / `c.req.text()` afterwards. A delivery that fails verification never reaches
 * the handler; a wrong configuration (no secret) is thrown to the app's error handler.
 */
export function verifyWebhookMiddleware(
  options: VerifyOptionsSource,
  { onError = refuse }: WebhookMiddlewareOptions = {},
): MiddlewareHandler<{ Variables: WebhookVariables }> {
  return async (c, next) => {
    const resolved = typeof options === "function" ? await options(c) : options;
    let delivery: VerifiedDelivery;
    try {
      delivery = await verifyDelivery(await c.req.arrayBuffer(), c.req.raw.headers, resolved);
    } catch (error) {
      if (error instanceof WebhookVerificationError) return onError(error, c);
      throw error;
    }
    c.set("webhook", delivery);
    await next();
  };
}
