import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { apiKeyByHash } from "../db/api-keys";
import { shardIndexOfTenant } from "../db/tenants";
import { ApiError, notFound } from "../errors";
import { randomBytes, toBase64Url, toHex } from "../lib/base64";
import { IsolateCache } from "../lib/isolate-cache";
import { sha256, sha256Hex } from "../lib/digest";
import { MAX_BEARER_TOKEN_LENGTH } from "../limits";
import { rememberTenantShard } from "../shards";

/** Who is calling: the platform operator (admin token) or one tenant (its API key). */
export type Principal = { kind: "admin" } | { kind: "tenant"; tenantId: string };

const API_KEY_PREFIX = "ehk_";

/**
 * The SHA-256 of the configured ADMIN_TOKEN, computed once per isolate (and again only if the
 * secret changes): the comparison hashes the presented token alone, never the configured one.
 */
const adminDigest = new IsolateCache<string, ArrayBuffer>({ ttlMs: Infinity, maxEntries: 1 });

function adminTokenDigest(adminToken: string): Promise<ArrayBuffer> {
  return adminDigest.load(adminToken, () => sha256(adminToken));
}

/** A new tenant API key, its stored hash and its display prefix. */
export async function newApiKey(): Promise<{ key: string; hash: string; prefix: string }> {
  const key = API_KEY_PREFIX + toBase64Url(randomBytes(32));
  return { key, hash: await hashApiKey(key), prefix: key.slice(0, 12) };
}

/** The SHA-256 hex under which a key is stored: keys are 256-bit random, so no slow hash is needed. */
export function hashApiKey(key: string): Promise<string> {
  return sha256Hex(key);
}

/**
 * Tenant API keys verified in this isolate, by hash: a request with a key seen in the last
 * 10 s skips the D1 lookup. Revoking a key or deleting its tenant forgets it here at
 * once; another isolate may accept it until its own entry expires (README "API at a glance").
 */
const verifiedKeys = new IsolateCache<string, { keyId: string; tenantId: string }>({ ttlMs: 10_000, maxEntries: 1000, whenFull: "clear" });

async function tenantOfKey(db: D1Database, hash: string): Promise<string | null> {
  const hit = verifiedKeys.get(hash);
  if (hit) return hit.tenantId;
  const read = verifiedKeys.readStarts();
  const key = await apiKeyByHash(db, hash);
  if (!key) return null;
  verifiedKeys.set(hash, { keyId: key.id, tenantId: key.tenant_id }, { read });
  rememberTenantShard(key.tenant_id, key.shard);
  return key.tenant_id;
}

/** Stops accepting, in this isolate, the verified keys of a tenant (all, or the one with `keyId`); checks in flight are not kept. */
export function forgetVerifiedKeys(tenantId: string, keyId?: string): void {
  verifiedKeys.forgetWhere((entry) => entry.tenantId === tenantId && (keyId === undefined || entry.keyId === keyId));
}

const unauthorized = () =>
  new ApiError(401, "unauthorized", "Send a valid admin token or tenant API key as 'Authorization: Bearer <token>'", undefined, {
    "WWW-Authenticate": 'Bearer realm="edgehook"',
  });

/**
 * Whether `token` is the configured ADMIN_TOKEN (false when none is configured), compared by
 * SHA-256 digest in time independent of where the tokens differ. The dashboard's sign-in uses it.
 */
export async function isAdminToken(env: Env, token: string): Promise<boolean> {
  if (!env.ADMIN_TOKEN || token.length > MAX_BEARER_TOKEN_LENGTH) return false;
  return crypto.subtle.timingSafeEqual(await sha256(token), await adminTokenDigest(env.ADMIN_TOKEN));
}

/** Resolves the bearer token to a principal, or answers 401. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "");
    const token = match?.[1];
    if (!token || token.length > MAX_BEARER_TOKEN_LENGTH) throw unauthorized();
    // Digests of equal length compare in time independent of where the tokens differ; the same
    // digest, in hex, is the hash an API key is stored under (hashApiKey).
    const digest = await sha256(token);
    if (c.env.ADMIN_TOKEN && crypto.subtle.timingSafeEqual(digest, await adminTokenDigest(c.env.ADMIN_TOKEN))) {
      c.set("principal", { kind: "admin" });
    } else if (token.startsWith(API_KEY_PREFIX)) {
      const tenantId = await tenantOfKey(c.env.DB, toHex(digest));
      if (!tenantId) throw unauthorized();
      c.set("principal", { kind: "tenant", tenantId });
    } else {
      throw unauthorized();
    }
    await next();
  };
}

/**
 * Route middleware of a route any valid token may call (it answers only about the caller, as
 * `GET /v1/me` does): says so where adminOnly or tenantAccess would stand, and answers 401 should
 * the route ever be mounted where `authenticate` does not run first.
 */
export function anyPrincipal(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!c.get("principal")) throw unauthorized();
    await next();
  };
}

/** Route middleware: 403 unless the caller holds the admin token. */
export function adminOnly(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get("principal").kind !== "admin") {
      throw new ApiError(403, "forbidden", "This operation needs the admin token");
    }
    await next();
  };
}

/**
 * Route middleware of every `/v1/tenants/{tenant_id}/…` route: lets the request in only if the
 * caller may act in that tenant and the tenant exists; another tenant's id is a 404, exactly as if
 * it did not exist. The admin token's read of the tenant refreshes this isolate's cached shard of
 * it (src/shards.ts), as an API key's verification does. `tenantReadByHandler` skips that read for
 * a handler that answers 404 for a missing tenant itself: enqueue, the hot path, whose one D1 batch
 * stores nothing when the tenant does not exist (src/db/messages.ts storeMessage).
 */
export function tenantAccess(options: { tenantReadByHandler?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const tenantId = c.req.param("tenant_id");
    const principal = c.get("principal");
    if (!tenantId) throw notFound("Tenant");
    if (principal.kind === "tenant") {
      if (principal.tenantId !== tenantId) throw notFound("Tenant");
    } else if (!options.tenantReadByHandler) {
      const shard = await shardIndexOfTenant(c.env.DB, tenantId);
      if (shard === null) throw notFound("Tenant");
      rememberTenantShard(tenantId, shard);
    }
    await next();
  };
}
