import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { deleteOperatorSession, findOperatorSession, insertOperatorSession } from "../db/operator-sessions";
import { randomBytes, toBase64Url } from "../lib/base64";
import { hmacSha256Hex } from "../lib/digest";
import type { DashboardEnv } from "./env";
import { HOST_COOKIE } from "./session";

/**
 * Operator sessions: opened with the admin token, for the operator view across tenants. Their own
 * kind, table and cookie, so a tenant session can never stand in for one (or the other way round);
 * same cookie rules (`__Host-`, HttpOnly, SameSite=Strict) and the same CSRF check as tenant sessions.
 * A session lives only as long as the admin token it was opened with, as a tenant session lives only
 * as long as its API key: D1 keys it by the HMAC of its cookie token under ADMIN_TOKEN, so once the
 * token is rotated no stored session matches any cookie.
 */

/** How long an operator session lasts from sign-in: shorter than a tenant's, as it sees every tenant. */
const OPERATOR_TTL_SECONDS = 2 * 3600;
const OPERATOR_COOKIE = "edgehook_operator";

/** What D1 stores in place of an operator session's token: its HMAC under the current ADMIN_TOKEN (see above). */
function operatorTokenHash(env: Env, token: string): Promise<string> {
  return hmacSha256Hex(env.ADMIN_TOKEN, token);
}

/** Loads the operator session named by its cookie (or null) into `c.var.operator`; none without an ADMIN_TOKEN. */
export function loadOperatorSession(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const token = getCookie(c, OPERATOR_COOKIE, "host");
    c.set("operator", token && c.env.ADMIN_TOKEN ? await findOperatorSession(c.env.DB, await operatorTokenHash(c.env, token), Date.now()) : null);
    await next();
  };
}

/** Sends visitors without an operator session (tenant sessions included) to the sign-in page. */
export function requireOperator(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    if (!c.get("operator")) return c.redirect("/dashboard/sign-in", 303);
    await next();
  };
}

/** Opens an operator session and sets its cookie; D1 keeps only the token's hash (operatorTokenHash). Only after the admin token was checked. */
export async function startOperatorSession(c: Context<DashboardEnv>): Promise<void> {
  const token = toBase64Url(randomBytes(32));
  const now = Date.now();
  await insertOperatorSession(c.env.DB, { tokenHash: await operatorTokenHash(c.env, token), now, expiresAt: now + OPERATOR_TTL_SECONDS * 1000 });
  setCookie(c, OPERATOR_COOKIE, token, { ...HOST_COOKIE, maxAge: OPERATOR_TTL_SECONDS });
}

/** Ends the operator session, in D1 and in the browser. */
export async function endOperatorSession(c: Context<DashboardEnv>): Promise<void> {
  const operator = c.get("operator");
  if (operator) await deleteOperatorSession(c.env.DB, operator.tokenHash);
  deleteCookie(c, OPERATOR_COOKIE, HOST_COOKIE);
}
