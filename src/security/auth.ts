import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { tenantForKeyHash } from "../db/api-keys";
import { getTenant } from "../db/tenants";
import { ApiError, notFound } from "../errors";
import { randomBytes, toBase64Url, toHex } from "../lib/base64";
import { MAX_BEARER_TOKEN_LENGTH } from "../limits";

/** Who is calling: the platform operator (admin token) or one tenant (its API key). */
export type Principal = { kind: "admin" } | { kind: "tenant"; tenantId: string };

const API_KEY_PREFIX = "ehk_";
const encoder = new TextEncoder();

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/** Compares two strings in time independent of where they differ (digests have equal length). */
async function constantTimeEquals(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([sha256(a), sha256(b)]);
  return crypto.subtle.timingSafeEqual(da, db);
}

/** A new tenant API key, its stored hash and its display prefix. */
export async function newApiKey(): Promise<{ key: string; hash: string; prefix: string }> {
  const key = API_KEY_PREFIX + toBase64Url(randomBytes(32));
  return { key, hash: await hashApiKey(key), prefix: key.slice(0, 12) };
}

/** The SHA-256 hex under which a key is stored: keys are 256-bit random, so no slow hash is needed. */
export async function hashApiKey(key: string): Promise<string> {
  return toHex(await sha256(key));
}

const unauthorized = () =>
  new ApiError(401, "unauthorized", "Send a valid admin token or tenant API key as 'Authorization: Bearer <token>'", undefined, {
    "WWW-Authenticate": 'Bearer realm="edgehook"',
  });

/** Resolves the bearer token to a principal, or answers 401. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "");
    const token = match?.[1];
    if (!token || token.length > MAX_BEARER_TOKEN_LENGTH) throw unauthorized();
    if (c.env.ADMIN_TOKEN && (await constantTimeEquals(token, c.env.ADMIN_TOKEN))) {
      c.set("principal", { kind: "admin" });
    } else if (token.startsWith(API_KEY_PREFIX)) {
      const tenantId = await tenantForKeyHash(c.env.DB, await hashApiKey(token));
      if (!tenantId) throw unauthorized();
      c.set("principal", { kind: "tenant", tenantId });
    } else {
      throw unauthorized();
    }
    await next();
  };
}

/** Throws 403 unless the caller holds the admin token. */
export function requireAdmin(c: Context<AppEnv>): void {
  if (c.get("principal").kind !== "admin") {
    throw new ApiError(403, "forbidden", "This operation needs the admin token");
  }
}

/**
 * Lets a request into `/v1/tenants/{tenant_id}/…` only if the caller may act in that tenant and
 * the tenant exists; another tenant's id is a 404, exactly as if it did not exist.
 */
export function tenantAccess(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const tenantId = c.req.param("tenant_id");
    const principal = c.get("principal");
    if (!tenantId) throw notFound("Tenant");
    if (principal.kind === "tenant") {
      if (principal.tenantId !== tenantId) throw notFound("Tenant");
    } else if (!(await getTenant(c.env.DB, tenantId))) {
      throw notFound("Tenant");
    }
    await next();
  };
}
