import { createRoute } from "@hono/zod-openapi";
import { enqueueMessage, getMessage, listMessages } from "../ops/messages";
import { tenantAccess } from "../security/auth";
import { errorResponses, PageQuery, pageOf, ResourceId, TenantParams } from "../schemas/common";
import { EnqueueBody, EnqueuedSchema, EnqueueHeaders, ListMessagesQuery, MessageListItemSchema, MessageSchema } from "../schemas/messages";
import { createApi, jsonBody, jsonResponse } from "./api";

const MessageParams = TenantParams.extend({ message_id: ResourceId.openapi({ param: { name: "message_id", in: "path" } }) });
const tags = ["Messages"];

/** Messages: what a platform enqueues, fanned out to deliveries, and polled afterwards. */
export const messagesApi = createApi()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      middleware: [tenantAccess({ tenantReadByHandler: true })],
      tags,
      summary: "Enqueue a message for delivery",
      description:
        "Targets: `endpoint_ids` when given, otherwise every enabled endpoint whose `events` and `source` match, plus a one-off `webhook_url`. " +
        "The same `Idempotency-Key` within 24 h returns the first response and stores nothing new.",
      request: { params: TenantParams, headers: EnqueueHeaders, body: jsonBody(EnqueueBody) },
      responses: {
        202: jsonResponse(EnqueuedSchema, "Stored durably and queued"),
        ...errorResponses(400, 401, 404, 409, 413, 422),
      },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      const body = c.req.valid("json");
      const payload = JSON.stringify(body.payload);
      const key = c.req.valid("header")["idempotency-key"];
      const { response, replayed } = await enqueueMessage(c.env, {
        tenantId: tenant_id,
        event: body.event,
        payload,
        source: body.source ?? null,
        endpointIds: body.endpoint_ids,
        webhookUrl: body.webhook_url,
        // The fingerprint re-serialises the whole body, so it is built only when a key asks for it.
        idempotency: key ? { key, fingerprint: JSON.stringify(body) } : undefined,
      });
      if (replayed) c.header("Idempotent-Replayed", "true");
      return c.json(response, 202);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{message_id}",
      middleware: [tenantAccess()],
      tags,
      summary: "Poll a message: its payload and each delivery's state",
      request: { params: MessageParams },
      responses: { 200: jsonResponse(MessageSchema, "The message"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, message_id } = c.req.valid("param");
      return c.json(await getMessage(c.env, tenant_id, message_id), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      middleware: [tenantAccess()],
      tags,
      summary: "List messages, newest first",
      request: { params: TenantParams, query: PageQuery.extend(ListMessagesQuery.shape) },
      responses: { 200: jsonResponse(pageOf(MessageListItemSchema, "MessagePage"), "A page of messages"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => c.json(await listMessages(c.env, c.req.valid("param").tenant_id, c.req.valid("query")), 200),
  );
