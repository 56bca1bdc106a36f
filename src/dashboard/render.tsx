import type { Context } from "hono";
import { html } from "hono/html";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { DashboardEnv } from "./env";
import { takeNotice } from "./flash";
import type { PageContext } from "./views/layout";

/** What every page needs from this request: session, form token, script nonce. */
export function pageContext(c: Context<DashboardEnv>, section?: PageContext["section"]): PageContext {
  const url = new URL(c.req.url);
  return { session: c.get("session") ?? null, operator: !!c.get("operator"), csrfToken: c.get("csrfToken") ?? "", nonce: c.get("secureHeadersNonce"), location: url.pathname + url.search, section };
}

/** The props every page takes from this request: its context, and the one-shot notice waiting for it. */
export function pageProps(c: Context<DashboardEnv>, section?: PageContext["section"]) {
  return { page: pageContext(c, section), notice: takeNotice(c) };
}

/** Sends a page as an HTML document. */
export function render(c: Context<DashboardEnv>, page: JSX.Element, status: ContentfulStatusCode = 200) {
  return c.html(html`<!doctype html>${page}`, status);
}
