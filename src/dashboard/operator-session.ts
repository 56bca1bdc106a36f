import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { deleteOperatorSession, findOperatorSession, insertOperatorSession } from "../db/operator-sessions";
import { randomBytes, toBase64Url } from "../lib/base64";
import { sha256Hex } from "../lib/digest";
import type { DashboardEnv } from "./env";
import { HOST_COOKIE } from "./session";

/**
 * Operator sessions: opened with the admin token, for the operator view across tenants. Their own
 * kind, table and cookie, so a tenant session can never stand in for one (or the other way round);
 * same cookie rules (`__Host-`, HttpOnly, SameSite=Strict) and the same CSRF check as tenant sessions.
 */

/** How long an operator session lasts from sign-in: shorter than a tenant's, as it sees every tenant. */
const OPERATOR_TTL_SECONDS = 2 * 3600;
const OPERATOR_COOKIE = "edgehook_operator";

/** Loads the operator session named by its cookie (or null) into `c.var.operator`. */
export function loadOperatorSession(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const token = getCookie(c, OPERATOR_COOKIE, "host");
    c.set("operator", token ? await findOperatorSession(c.env.DB, await sha256Hex(token), Date.now()) : null);
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

/** Opens an operator session and sets its cookie; D1 keeps only the SHA-256 of the token. */
export async function startOperatorSession(c: Context<DashboardEnv>): Promise<void> {
  const token = toBase64Url(randomBytes(32));
  const now = Date.now();
  await insertOperatorSession(c.env.DB, { tokenHash: await sha256Hex(token), now, expiresAt: now + OPERATOR_TTL_SECONDS * 1000 });
  setCookie(c, OPERATOR_COOKIE, token, { ...HOST_COOKIE, maxAge: OPERATOR_TTL_SECONDS });
}

/** Ends the operator session, in D1 and in the browser. */
export async function endOperatorSession(c: Context<DashboardEnv>): Promise<void> {
  const operator = c.get("operator");
  if (operator) await deleteOperatorSession(c.env.DB, operator.tokenHash);
  deleteCookie(c, OPERATOR_COOKIE, HOST_COOKIE);
}
