import { Hono } from "hono";
import { getTenant } from "../../ops/tenants";
import { deadLettersEverywhere, findById, troubledEndpointsEverywhere } from "../../ops/operator";
import { dashboardPath } from "../dashboard-path";
import type { DashboardEnv } from "../env";
import { pageProps, render } from "../render";
import { startSession } from "../session";
import { OperatorPage } from "../views/operator";

/**
 * The operator view (an operator session only, src/dashboard/operator-session.ts): every tenant's
 * failing and disabled endpoints, dead letters, a message or delivery found by id, and a tenant's own
 * pages opened as its customers see them (a tenant session beside the operator session).
 */
export const operatorRoutes = new Hono<DashboardEnv>()
  .get("/operator", async (c) => {
    const query = c.req.query("id")?.trim() ?? "";
    const [endpoints, deadLetters, found] = await Promise.all([
      troubledEndpointsEverywhere(c.env),
      deadLettersEverywhere(c.env),
      query ? findById(c.env, query) : Promise.resolve(null),
    ]);
    return render(c, <OperatorPage {...pageProps(c, "operator")} endpoints={endpoints} deadLetters={deadLetters} query={query} found={found} />);
  })
  .post("/operator/tenants/:tenantId/open", async (c) => {
    const tenant = await getTenant(c.env, c.req.param("tenantId"));
    const next = dashboardPath((await c.req.parseBody()).next) ?? "/dashboard";
    await startSession(c, tenant.id, null, c.get("operator")!.expiresAt);
    return c.redirect(next, 303);
  });
