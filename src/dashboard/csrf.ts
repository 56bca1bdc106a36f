import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";
import { fromBase64Url, randomBytes, toBase64Url } from "../lib/base64";
import { hmacSign, hmacVerify } from "../security/derived-keys";
import type { DashboardEnv } from "./env";
import { HOST_COOKIE } from "./session";

/**
 * CSRF protection for every dashboard form, on top of SameSite=Strict cookies and Hono's Origin /
 * Sec-Fetch-Site check: each form carries `_csrf`, an HMAC (key derived from MASTER_KEY) of what
 * ties it to this browser — the sessions once signed in (tenant, operator, or both), before that a
 * random pre-session cookie, so the sign-in forms are covered too (no login CSRF).
 */

/** Name of the hidden form field that carries the token. */
export const CSRF_FIELD = "_csrf";
const PRE_SESSION_COOKIE = "edgehook_presession";

function toBytes(base64url: string): Uint8Array | null {
  try {
    return fromBase64Url(base64url);
  } catch {
    return null;
  }
}

/**
 * Computes this request's CSRF token into `c.var.csrfToken` and, for unsafe methods, refuses the
 * request (403) unless its form sends that token back. Runs after `loadSession` and `loadOperatorSession`.
 */
export function csrfProtection(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const session = c.get("session");
    const operator = c.get("operator");
    let binding: string | undefined;
    if (session || operator) {
      binding = [session && `session:${session.tokenHash}`, operator && `operator:${operator.tokenHash}`].filter(Boolean).join(" ");
    } else {
      let nonce = getCookie(c, PRE_SESSION_COOKIE, "host");
      if (!nonce && c.req.method === "GET") {
        nonce = toBase64Url(randomBytes(24));
        setCookie(c, PRE_SESSION_COOKIE, nonce, HOST_COOKIE);
      }
      if (nonce) binding = `pre-session:${nonce}`;
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const sent = (await c.req.parseBody())[CSRF_FIELD];
      const signature = typeof sent === "string" ? toBytes(sent) : null;
      if (!binding || !signature || !(await hmacVerify(c.env.MASTER_KEY, "dashboard-csrf", binding, signature))) {
        throw new HTTPException(403, { message: "This form has expired or did not come from this dashboard. Reload the page and try again." });
      }
    }
    c.set("csrfToken", binding ? toBase64Url(await hmacSign(c.env.MASTER_KEY, "dashboard-csrf", binding)) : "");
    await next();
  };
}
