import { Hono, type Context } from "hono";
import { deliveryLog, getDelivery, replayDelivery } from "../../ops/deliveries";
import { findEndpoint } from "../../ops/endpoints";
import type { DashboardEnv } from "../env";
import { pathId } from "../path-id";
import { pageProps, render } from "../render";
import { currentSession } from "../session";
import { DeliveriesPage, statusFilter } from "../views/delivery-log";
import { DeliveryPage } from "../views/delivery-page";
import { endpointTitle } from "../views/endpoint-summary";

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
        {...pageProps(c, "deliveries")}
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
        {...pageProps(c, "deliveries")}
        delivery={delivery}
        endpointName={endpoint ? endpointTitle(endpoint) : null}
      />,
    );
  })
  .post("/deliveries/:id/replay", async (c) => {
    const replayed = await replayDelivery(c.env, currentSession(c).tenantId, deliveryId(c));
    return c.redirect(`/dashboard/deliveries/${replayed.id}?notice=replayed`, 303);
  });
