import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { deleteDashboardSession, findDashboardSession, insertDashboardSession, type DashboardSession } from "../db/dashboard-sessions";
import { randomBytes, toBase64Url } from "../lib/base64";
import { sha256Hex } from "../lib/digest";
import { rememberTenantShard } from "../shards";
import type { DashboardEnv } from "./env";

/** How long a dashboard session lasts from sign-in; then the user signs in again. */
const SESSION_TTL_SECONDS = 8 * 3600;

/**
 * Options of every dashboard cookie: a `__Host-` name (Secure, Path=/, no Domain, so no sibling
 * subdomain can set or read it), HttpOnly, and SameSite=Strict.
 */
export const HOST_COOKIE = { prefix: "host", httpOnly: true, secure: true, sameSite: "Strict", path: "/" } as const;
const SESSION_COOKIE = "edgehook_session";

/** What D1 stores in place of a session token: its SHA-256 hex. */
const sessionTokenHash = sha256Hex;

/** Loads the session named by the session cookie (or null) into `c.var.session`. */
export function loadSession(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE, "host");
    const session = token ? await findDashboardSession(c.env.DB, await sessionTokenHash(token), Date.now()) : null;
    if (session) rememberTenantShard(session.tenantId, session.shard);
    c.set("session", session);
    await next();
  };
}

/** The signed-in session; only call behind `requireSession`. */
export function currentSession(c: Context<DashboardEnv>): DashboardSession {
  const session = c.get("session");
  if (!session) throw new Error("currentSession used on a route without requireSession");
  return session;
}

/** Sends visitors without a session to the sign-in page. */
export function requireSession(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    if (!c.get("session")) return c.redirect("/dashboard/sign-in", 303);
    await next();
  };
}

/**
 * Opens a session in `tenantId` and sets its cookie, ending the session the browser held before (in
 * D1 too, so its old cookie opens nothing). The cookie holds a random token; D1 keeps only its
 * SHA-256, so a database dump opens no sessions.
 * @param endsBy the latest the session may end (epoch ms): an operator opening a tenant passes its
 *   own session's end, so the tenant session never outlives the operator's
 */
export async function startSession(c: Context<DashboardEnv>, tenantId: string, apiKeyId: string | null, endsBy = Infinity): Promise<void> {
  await endSession(c);
  const token = toBase64Url(randomBytes(32));
  const now = Date.now();
  const expiresAt = Math.min(now + SESSION_TTL_SECONDS * 1000, endsBy);
  await insertDashboardSession(c.env.DB, { tokenHash: await sessionTokenHash(token), tenantId, apiKeyId, now, expiresAt });
  setCookie(c, SESSION_COOKIE, token, { ...HOST_COOKIE, maxAge: Math.max(0, Math.floor((expiresAt - now) / 1000)) });
}

/** Ends the current session, in D1 and in the browser. */
export async function endSession(c: Context<DashboardEnv>): Promise<void> {
  const session = c.get("session");
  if (session) await deleteDashboardSession(c.env.DB, session.tokenHash);
  deleteCookie(c, SESSION_COOKIE, HOST_COOKIE);
}
