import { Hono, type Context } from "hono";
import { deliveryLog, getDelivery, replayDelivery } from "../../ops/deliveries";
import { findEndpoint } from "../../ops/endpoints";
import type { DashboardEnv } from "../env";
import { pathId } from "../path-id";
import { pageContext, render } from "../render";
import { currentSession } from "../session";
import { DeliveriesPage, DeliveryPage, statusFilter } from "../views/deliveries";
import { endpointTitle } from "../views/endpoints";
import { noticeText } from "../views/layout";

const DELIVERIES_PER_PAGE = 50;

const deliveryId = (c: Context<DashboardEnv>) => pathId(c, "Delivery");

/** The tenant's delivery log, one delivery with its attempts, and replay. */
export const deliveryRoutes = new Hono<DashboardEnv>()
  .get("/deliveries", async (c) => {
    const status = statusFilter(c.req.query("status"));
    const log = await deliveryLog(c.env, currentSession(c).tenantId, {
      status,
      limit: DELIVERIES_PER_PAGE,
      cursor: c.req.query("cursor"),
    });
    return render(
      c,
      <DeliveriesPage
        page={pageContext(c, "deliveries")}
        notice={noticeText(c.req.query("notice"))}
        deliveries={log.data}
        status={status}
        nextCursor={log.next_cursor}
      />,
    );
  })
  .get("/deliveries/:id", async (c) => {
    const { tenantId } = currentSession(c);
    const delivery = await getDelivery(c.env, tenantId, deliveryId(c));
    const endpoint = delivery.endpoint_id ? await findEndpoint(c.env, tenantId, delivery.endpoint_id) : null;
    return render(
      c,
      <DeliveryPage
        page={pageContext(c, "deliveries")}
        notice={noticeText(c.req.query("notice"))}
        delivery={delivery}
        endpointName={endpoint ? endpointTitle(endpoint) : null}
      />,
    );
  })
  .post("/deliveries/:id/replay", async (c) => {
    const replayed = await replayDelivery(c.env, currentSession(c).tenantId, deliveryId(c));
    return c.redirect(`/dashboard/deliveries/${replayed.id}?notice=replayed`, 303);
  });
