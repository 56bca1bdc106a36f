import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { NONCE, secureHeaders } from "hono/secure-headers";
import { PayloadStorageUnavailable } from "../payloads";
import { ApiError } from "../errors";
import { isTransientPlatformError, STORAGE_RETRY_AFTER_SECONDS } from "../platform-errors";
import { SecretUnavailableError } from "../secrets";
import { DASHBOARD_JS } from "./assets/client";
import { DASHBOARD_CSS, FAVICON_SVG } from "./assets/styles";
import { csrfProtection } from "./csrf";
import type { DashboardEnv } from "./env";
import { pageContext, render } from "./render";
import { authRoutes } from "./routes/auth";
import { deliveryRoutes } from "./routes/deliveries";
import { endpointRoutes } from "./routes/endpoints";
import { eventTypeRoutes } from "./routes/event-types";
import { loadOperatorSession, requireOperator } from "./operator-session";
import { operatorRoutes } from "./routes/operator";
import { loadSession, requireSession } from "./session";
import { ErrorPage } from "./views/auth";

/** Largest dashboard form accepted (the endpoint form with 20 long headers fits easily). */
const FORM_BYTES_LIMIT = 128 * 1024;

const ERROR_TITLES: Record<number, string> = {
  400: "That did not work",
  403: "Request refused",
  404: "Not found",
  409: "Try again",
  413: "Too much data",
  503: "Try again",
};

function errorPage(c: Context<DashboardEnv>, status: 400 | 403 | 404 | 409 | 413 | 500 | 503, message: string) {
  return render(c, <ErrorPage page={pageContext(c)} title={ERROR_TITLES[status] ?? "Something went wrong"} message={message} />, status);
}

/** Every failure as an HTML page in the one dashboard style; internals stay in the logs. */
function onError(err: Error, c: Context<DashboardEnv>) {
  if (err instanceof ApiError && (err.status === 400 || err.status === 404 || err.status === 409)) return errorPage(c, err.status, err.message);
  if (err instanceof HTTPException && err.status === 403) {
    return errorPage(c, 403, err.message || "This request did not come from this dashboard. Reload the page and try again.");
  }
  if (err instanceof HTTPException && err.status === 413) return errorPage(c, 413, "The form is too large.");
  if (isTransientPlatformError(err) || err instanceof PayloadStorageUnavailable) {
    c.header("retry-after", String(STORAGE_RETRY_AFTER_SECONDS));
    return errorPage(c, 503, "Storage is briefly unavailable. Try again in a moment.");
  }
  console.error(`${c.req.method} ${c.req.path}: ${err instanceof SecretUnavailableError ? err.message : "unhandled error"}`, err);
  return errorPage(c, 500, "Something went wrong on our side; it has been logged. Try again in a moment.");
}

/**
 * The dashboard's security headers: a CSP that runs scripts by nonce only and loads everything else
 * from the dashboard itself, and no framing.
 */
function strictSecurityHeaders() {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: [NONCE],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: "DENY",
  });
}

/**
 * The tenant dashboard, mounted at /dashboard: server-rendered pages, one stylesheet and one
 * small script. Security: strict CSP (scripts by nonce only, no inline styles), Origin check plus
 * a CSRF token on every form, sessions in HttpOnly SameSite=Strict `__Host-` cookies; every query
 * is scoped to the session's tenant.
 */
export function buildDashboard() {
  const dashboard = new Hono<DashboardEnv>();
  dashboard.onError(onError);

  dashboard.use("*", strictSecurityHeaders());

  dashboard.get("/assets/dashboard.css", (c) =>
    c.body(DASHBOARD_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=300" }),
  );
  dashboard.get("/assets/dashboard.js", (c) =>
    c.body(DASHBOARD_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300" }),
  );
  dashboard.get("/assets/favicon.svg", (c) =>
    c.body(FAVICON_SVG, 200, { "content-type": "image/svg+xml", "cache-control": "public, max-age=86400" }),
  );

  // Pages and JSON here carry tenant data and secrets: never cache them.
  dashboard.use("*", async (c, next) => {
    await next();
    c.header("cache-control", "no-store");
  });
  dashboard.use(
    "*",
    bodyLimit({
      maxSize: FORM_BYTES_LIMIT,
      onError: () => {
        throw new HTTPException(413);
      },
    }),
  );
  dashboard.use("*", csrf());
  dashboard.use("*", loadSession());
  dashboard.use("*", loadOperatorSession());
  dashboard.use("*", csrfProtection());

  dashboard.route("/", authRoutes);
  for (const path of ["/", "/endpoints", "/endpoints/*", "/deliveries", "/deliveries/*", "/messages/*", "/event-types"]) dashboard.use(path, requireSession());
  dashboard.route("/", endpointRoutes);
  dashboard.route("/", deliveryRoutes);
  dashboard.route("/", eventTypeRoutes);
  for (const path of ["/operator", "/operator/*"]) dashboard.use(path, requireOperator());
  dashboard.route("/", operatorRoutes);

  dashboard.all("/*", (c) =>
    c.req.method === "GET" && c.req.path === "/dashboard/" ? c.redirect("/dashboard", 301) : errorPage(c, 404, "There is no such page."),
  );
  return dashboard;
}
