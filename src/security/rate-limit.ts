import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { RATE_LIMIT_PERIOD_SECONDS } from "../limits";

/**
 * Per-tenant request rate limiting for callers holding a tenant API key, on the Workers rate-limit
 * binding API_RATE_LIMITER (limit and period in wrangler.toml). The admin token is the platform
 * operator's own credential and is not limited. Cloudflare counts per location and lets a little
 * through while counters converge: this protects capacity, it is not an exact quota.
 *
 * Without the binding nothing is limited; if the binding itself fails, the request goes through
 * and the failure is logged, so an outage of the limiter is not an outage of the API.
 */
export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    const limiter: RateLimit | undefined = c.env.API_RATE_LIMITER;
    if (principal.kind === "tenant" && limiter) {
      let allowed = true;
      try {
        allowed = (await limiter.limit({ key: `tenant:${principal.tenantId}` })).success;
      } catch (error) {
        console.error(`rate limiter unavailable, request let through: ${(error as Error).message}`);
      }
      if (!allowed) {
        throw new ApiError(429, "rate_limited", `Too many requests for this tenant; retry after ${RATE_LIMIT_PERIOD_SECONDS} seconds`, undefined, {
          "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS),
        });
      }
    }
    await next();
  };
}
