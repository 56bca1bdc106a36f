import { Hono, type Context } from "hono";
import { z } from "zod";
import { getDeliveryWithAttempts, replayDelivery } from "../../db/deliveries";
import { listDeliveryLog } from "../../db/delivery-log";
import { getEndpoint } from "../../db/endpoints";
import { enqueueDeliveries } from "../../delivery/task";
import { notFound } from "../../errors";
import type { DashboardEnv } from "../env";
import { pageContext, render } from "../render";
import { currentSession } from "../session";
import { DeliveriesPage, DeliveryPage, statusFilter } from "../views/deliveries";
import { endpointTitle } from "../views/endpoints";
import { noticeText } from "../views/layout";

const DELIVERIES_PER_PAGE = 50;

/** The delivery id in the path if it is a UUID, else a 404. */
function deliveryId(c: Context<DashboardEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!z.uuid().safeParse(id).success) throw notFound("Delivery");
  return id;
}

/** The tenant's delivery log, one delivery with its attempts, and replay. */
export const deliveryRoutes = new Hono<DashboardEnv>()
  .get("/deliveries", async (c) => {
    const status = statusFilter(c.req.query("status"));
    const log = await listDeliveryLog(c.env.DB, currentSession(c).tenantId, {
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
    const delivery = await getDeliveryWithAttempts(c.env.DB, tenantId, deliveryId(c));
    if (!delivery) throw notFound("Delivery");
    const endpoint = delivery.endpoint_id ? await getEndpoint(c.env.DB, tenantId, delivery.endpoint_id) : null;
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
    const replayed = await replayDelivery(c.env.DB, currentSession(c).tenantId, deliveryId(c), Date.now());
    if (!replayed) throw notFound("Delivery");
    await enqueueDeliveries(c.env.DELIVERIES, [replayed]);
    return c.redirect(`/dashboard/deliveries/${replayed.id}?notice=replayed`, 303);
  });
