import { Hono } from "hono";
import { findApiKey } from "../../ops/api-keys";
import { portalLinkClaims, redeemPortalLink } from "../../ops/portal-links";
import { isAdminToken } from "../../security/auth";
import type { DashboardEnv } from "../env";
import { endOperatorSession, startOperatorSession } from "../operator-session";
import { redirectWithNotice } from "../flash";
import { pageContext, pageProps, render } from "../render";
import { endSession, startSession } from "../session";
import { PortalPage, SignInPage } from "../views/auth";

const INVALID_LINK = "This dashboard link is invalid or has expired.";
const USED_LINK = "This dashboard link has expired or was already used: each link opens the dashboard once.";

/** Sign in with an API key (or the admin token, for the operator view), sign in through a portal link, sign out. */
export const authRoutes = new Hono<DashboardEnv>()
  .get("/sign-in", (c) => {
    if (c.get("session")) return c.redirect("/dashboard", 303);
    if (c.get("operator")) return c.redirect("/dashboard/operator", 303);
    return render(c, <SignInPage {...pageProps(c)} />);
  })
  .post("/sign-in", async (c) => {
    const apiKey = (await c.req.parseBody()).api_key;
    if (typeof apiKey === "string" && (await isAdminToken(c.env, apiKey.trim()))) {
      await endOperatorSession(c);
      await startOperatorSession(c);
      return c.redirect("/dashboard/operator", 303);
    }
    const key = typeof apiKey === "string" && apiKey.trim() ? await findApiKey(c.env, apiKey.trim()) : null;
    if (!key) {
      return render(c, <SignInPage page={pageContext(c)} notice={null} error="That API key is not valid, or it was revoked." />, 401);
    }
    await startSession(c, key.tenant_id, key.id);
    return c.redirect("/dashboard", 303);
  })
  .get("/portal", async (c) => {
    const token = c.req.query("token") ?? "";
    const claims = await portalLinkClaims(c.env, token);
    return render(c, <PortalPage page={pageContext(c)} token={claims ? token : null} error={claims ? undefined : INVALID_LINK} />, claims ? 200 : 400);
  })
  .post("/portal", async (c) => {
    const token = (await c.req.parseBody()).token;
    const link = typeof token === "string" ? await redeemPortalLink(c.env, token) : { refused: "invalid" as const };
    if ("refused" in link) {
      return render(c, <PortalPage page={pageContext(c)} token={null} error={link.refused === "used" ? USED_LINK : INVALID_LINK} />, 400);
    }
    await startSession(c, link.tenantId, null);
    return c.redirect("/dashboard", 303);
  })
  .post("/sign-out", async (c) => {
    await endSession(c);
    await endOperatorSession(c);
    return redirectWithNotice(c, "/dashboard/sign-in", "signed-out");
  });
