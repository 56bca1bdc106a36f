import { Hono, type Context } from "hono";
import { deliveryLog, replayDelivery } from "../../ops/deliveries";
import { attemptHeaders, deliveryWithPayload } from "../../ops/delivery-request";
import { cancelMessage } from "../../ops/messages";
import type { DashboardEnv } from "../env";
import { redirectWithNotice } from "../flash";
import { dashboardPath } from "../dashboard-path";
import { pathId } from "../path-id";
import { pageProps, render } from "../render";
import { currentSession } from "../session";
import { DeliveriesPage, statusFilter } from "../views/delivery-log";
import { DeliveryPage } from "../views/delivery-page";
import { endpointTitle } from "../views/endpoint-summary";

const DELIVERIES_PER_PAGE = 50;

const deliveryId = (c: Context<DashboardEnv>) => pathId(c, "Delivery");

/** The tenant's delivery log, one delivery with its attempts, replay, and cancelling a message. */
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
    const { delivery, payload, endpoint } = await deliveryWithPayload(c.env, currentSession(c).tenantId, deliveryId(c));
    return render(
      c,
      <DeliveryPage
        {...pageProps(c, "deliveries")}
        delivery={delivery}
        endpointName={endpoint ? endpointTitle(endpoint) : null}
        payload={payload}
        headers={delivery.attempts.map((a) => attemptHeaders(endpoint, delivery.message_id, Date.parse(a.created_at)))}
        headersRevealed={c.req.query("headers") === "shown"}
      />,
    );
  })
  .get("/deliveries/:id/payload", async (c) => {
    // The payload exactly as the receiver got it: every byte, no reformatting.
    const { payload } = await deliveryWithPayload(c.env, currentSession(c).tenantId, deliveryId(c));
    return c.body(payload, 200, { "content-type": "application/json; charset=utf-8" });
  })
  .post("/messages/:id/cancel", async (c) => {
    const cancelled = await cancelMessage(c.env, currentSession(c).tenantId, pathId(c, "Message"));
    const returnTo = dashboardPath((await c.req.parseBody()).return_to);
    const first = cancelled.deliveries[0];
    return redirectWithNotice(c, returnTo ?? (first ? `/dashboard/deliveries/${first.id}` : "/dashboard/deliveries"), "message-cancelled");
  })
  .post("/deliveries/:id/replay", async (c) => {
    const replayed = await replayDelivery(c.env, currentSession(c).tenantId, deliveryId(c));
    const returnTo = dashboardPath((await c.req.parseBody()).return_to);
    return redirectWithNotice(c, returnTo ?? `/dashboard/deliveries/${replayed.id}`, "replayed");
  });
