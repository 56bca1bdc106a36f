import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { DashboardEnv } from "./env";
import { HOST_COOKIE } from "./session";
import { noticeText, type NoticeKey } from "./views/layout";

/**
 * One-shot notices after a form post (post/redirect/get): the notice rides in a short-lived
 * cookie, not the URL, and the page that shows it deletes it, so a reload or a bookmark never
 * shows a stale "Delivery replayed" over newer state.
 */
const FLASH_COOKIE = "edgehook_flash";
/** Long enough for the redirect that follows at once; a notice never waits for a later visit. */
const FLASH_MAX_AGE_SECONDS = 60;

/** A 303 to `location` that shows `notice` once on the page it lands on. */
export function redirectWithNotice(c: Context<DashboardEnv>, location: string, notice: NoticeKey): Response {
  setCookie(c, FLASH_COOKIE, notice, { ...HOST_COOKIE, maxAge: FLASH_MAX_AGE_SECONDS });
  return c.redirect(location, 303);
}

/** The notice waiting for this page, if any, consumed: the response deletes it. */
export function takeNotice(c: Context<DashboardEnv>): string | null {
  const key = getCookie(c, FLASH_COOKIE, "host");
  if (key === undefined) return null;
  deleteCookie(c, FLASH_COOKIE, HOST_COOKIE);
  return noticeText(key);
}
