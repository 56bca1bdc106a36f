import { createRoute } from "@hono/zod-openapi";
import { getDelivery, listDeliveries, replayDelivery } from "../ops/deliveries";
import { tenantAccess } from "../security/auth";
import { errorResponses, PageQuery, pageOf, ResourceId, TenantParams } from "../schemas/common";
import { DeliverySchema, DeliverySummarySchema, ListDeliveriesQuery, ReplayedSchema, SCANNED_FILTER_TEXT } from "../schemas/messages";
import { createApi, jsonResponse } from "./api";

const DeliveryParams = TenantParams.extend({ delivery_id: ResourceId.openapi({ param: { name: "delivery_id", in: "path" } }) });
const tags = ["Deliveries"];

/** Deliveries: one message to one target, with every attempt; inspect and replay. */
export const deliveriesApi = createApi()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listDeliveries",
      middleware: [tenantAccess()],
      tags,
      summary: "List deliveries, newest first (filter by endpoint, message, status, since)",
      description: `Filtered by a \`status\` other than \`failed\` or \`cancelled\`, the list ${SCANNED_FILTER_TEXT}.`,
      request: { params: TenantParams, query: PageQuery.extend(ListDeliveriesQuery.shape) },
      responses: { 200: jsonResponse(pageOf(DeliverySummarySchema, "DeliveryPage"), "A page of deliveries"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const since = query.since ? Date.parse(query.since) : undefined;
      return c.json(await listDeliveries(c.env, c.req.valid("param").tenant_id, { ...query, since }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{delivery_id}",
      operationId: "getDelivery",
      middleware: [tenantAccess()],
      tags,
      summary: "Get a delivery with its attempts",
      request: { params: DeliveryParams },
      responses: { 200: jsonResponse(DeliverySchema, "The delivery"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, delivery_id } = c.req.valid("param");
      return c.json(await getDelivery(c.env, tenant_id, delivery_id), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{delivery_id}/retry",
      operationId: "retryDelivery",
      middleware: [tenantAccess()],
      tags,
      summary: "Replay a delivery, whatever its state, with a fresh attempt budget",
      request: { params: DeliveryParams },
      responses: { 202: jsonResponse(ReplayedSchema, "The replayed delivery"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, delivery_id } = c.req.valid("param");
      const replayed = await replayDelivery(c.env, tenant_id, delivery_id);
      return c.json({ deliveries: [{ id: replayed.id, status: "pending" as const }] }, 202);
    },
  );
