import { createRoute, type z } from "@hono/zod-openapi";
import { objectText } from "../lib/json-text";
import { IDEMPOTENCY_WINDOW_TEXT, MAX_BATCH_BODY_BYTES, MAX_BATCH_MESSAGES } from "../limits";
import { enqueue } from "../ops/enqueue";
import { BATCH, batchRequestOf, enqueueRequestOf } from "../ops/enqueue-request";
import { cancelMessage, enqueueMessage, getMessage, listMessages } from "../ops/messages";
import { tenantAccess } from "../security/auth";
import { errorResponses, PageQuery, pageOf, ResourceId, TenantParams } from "../schemas/common";
import { BatchEnqueueBody, BatchEnqueuedSchema, EnqueueBody, EnqueuedSchema, EnqueueHeaders, ListMessagesQuery, MessageListItemSchema, MessageSchema, SCANNED_FILTER_TEXT } from "../schemas/messages";
import { createApi, jsonBody, jsonResponse, jsonTextResponse } from "./api";

const MessageParams = TenantParams.extend({ message_id: ResourceId.openapi({ param: { name: "message_id", in: "path" } }) });
const tags = ["Messages"];

/** Messages: what a platform enqueues, fanned out to deliveries, and polled afterwards. */
export const messagesApi = createApi()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "enqueueMessage",
      tags,
      summary: "Enqueue a message for delivery",
      description:
        "Targets: `endpoint_ids` when given, otherwise every enabled endpoint whose `events` and `source` match, plus a one-off `webhook_url`. " +
        `The same \`Idempotency-Key\` within ${IDEMPOTENCY_WINDOW_TEXT} returns the first response and stores nothing new. ` +
        "`payload` is kept as the exact JSON text it has in the request body (every number, string escape and key order; " +
        "whitespace around it is dropped, whitespace inside it kept): that text is stored, signed, sent as every delivery's body " +
        "and returned by polling. Its UTF-8 size counts against `MAX_PAYLOAD_BYTES` (413); a body that is not UTF-8 is a 400. " +
        "The body may be sent compressed (`Content-Encoding: gzip`, `deflate` or `br`); its decompressed size is held to the same limits.",
      middleware: [tenantAccess({ tenantReadByHandler: true })],
      request: { params: TenantParams, headers: EnqueueHeaders, body: jsonBody(EnqueueBody) },
      responses: {
        202: jsonResponse(EnqueuedSchema, "Stored durably and queued"),
        ...errorResponses(400, 401, 404, 409, 413, 415, 422),
      },
    }),
    async (c) => {
      const request = enqueueRequestOf(
        c.req.valid("param").tenant_id,
        c.req.valid("json"),
        await c.req.text(),
        c.req.valid("header")["idempotency-key"],
      );
      const { response, replayed } = await enqueueMessage(c.env, request);
      if (replayed) c.header("Idempotent-Replayed", "true");
      return c.json(response, 202);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/batch",
      operationId: "enqueueMessageBatch",
      tags,
      summary: `Enqueue up to ${MAX_BATCH_MESSAGES} messages in one call`,
      description:
        `\`messages\` holds 1–${MAX_BATCH_MESSAGES} enqueue bodies, each with an optional \`idempotency_key\` (the Idempotency-Key of a single enqueue). ` +
        "All or nothing: any invalid item is a 400 whose `issues[].path` names it (`messages.3.event`), a payload over `MAX_PAYLOAD_BYTES` a 413 " +
        "naming it, an unknown `endpoint_ids` entry a 404 naming it, and then nothing is stored. Otherwise 202 with one result per item, in order, " +
        "each the response a single enqueue of that item gives; an item whose key replays an earlier request (single or batch) returns that " +
        "request's response with `replayed: true` and stores nothing new, while the others are stored. An `Idempotency-Key` header covers the whole " +
        `batch for ${IDEMPOTENCY_WINDOW_TEXT}, as on a single enqueue: the same batch again returns the first response with header ` +
        "`Idempotent-Replayed: true` and stores nothing new; another batch under it is a 422 `idempotency_key_reused` (the header's key, a single enqueue's and the items' keys " +
        "share one namespace per tenant). Payloads are kept as exact JSON text, as for " +
        `a single enqueue. The body may be at most ${MAX_BATCH_BODY_BYTES / 1024 / 1024} MiB (or the single-enqueue limit, \`MAX_PAYLOAD_BYTES\` + 16 KiB, ` +
        "when larger): 413 above it, and the same once decompressed when the body is sent compressed (`Content-Encoding: gzip`, `deflate` or `br`). The whole batch costs one D1 round trip and one queue call per 100 queue messages.",
      middleware: [tenantAccess({ tenantReadByHandler: true })],
      request: { params: TenantParams, headers: EnqueueHeaders, body: jsonBody(BatchEnqueueBody) },
      responses: {
        202: jsonResponse(BatchEnqueuedSchema, "Every message stored durably and queued (or replayed)"),
        ...errorResponses(400, 401, 404, 409, 413, 415, 422),
      },
    }),
    async (c) => {
      const request = batchRequestOf(c.req.valid("param").tenant_id, c.req.valid("json"), await c.req.text(), c.req.valid("header")["idempotency-key"]);
      const { results, replayed } = await enqueue(c.env, request, BATCH);
      if (replayed) c.header("Idempotent-Replayed", "true");
      return c.json({ messages: results }, 202);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{message_id}",
      operationId: "getMessage",
      middleware: [tenantAccess()],
      tags,
      summary: "Poll a message: its payload and each delivery's state",
      description: "`payload` is the stored JSON text, verbatim: byte for byte what every receiver gets as the body.",
      request: { params: MessageParams },
      responses: { 200: jsonResponse(MessageSchema, "The message"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, message_id } = c.req.valid("param");
      const message = await getMessage(c.env, tenant_id, message_id);
      return jsonTextResponse<z.output<typeof MessageSchema>>(c, objectText(message, { payload: message.payload }));
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{message_id}/cancel",
      operationId: "cancelMessage",
      middleware: [tenantAccess()],
      tags,
      summary: "Cancel a message's deliveries that have not been attempted yet",
      description:
        "Deliveries still `scheduled`, or `pending` with no attempt yet, become `cancelled` and are never sent (a first attempt already on its way " +
        "still arrives and is listed among the delivery's attempts, but the delivery stays `cancelled` and is never retried); deliveries already attempted " +
        "(delivered, retrying or failed) are left as they are, and so is the head of a FIFO endpoint's order once it is due (its request may be " +
        "on its way; cancelling it would let the next delivery overtake it). Idempotent: cancelling again, or cancelling a message delivered in full, is a 200 " +
        "that changes nothing. Answers the message as `GET …/messages/{id}` shows it.",
      request: { params: MessageParams },
      responses: { 200: jsonResponse(MessageSchema, "The message after cancelling"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, message_id } = c.req.valid("param");
      const message = await cancelMessage(c.env, tenant_id, message_id);
      return jsonTextResponse<z.output<typeof MessageSchema>>(c, objectText(message, { payload: message.payload }));
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listMessages",
      middleware: [tenantAccess()],
      tags,
      summary: "List messages, newest first (filter by event, source, since)",
      description: `Filtered by \`event\` or \`source\`, the list ${SCANNED_FILTER_TEXT}.`,
      request: { params: TenantParams, query: PageQuery.extend(ListMessagesQuery.shape) },
      responses: { 200: jsonResponse(pageOf(MessageListItemSchema, "MessagePage"), "A page of messages"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const since = query.since ? Date.parse(query.since) : undefined;
      return c.json(await listMessages(c.env, c.req.valid("param").tenant_id, { ...query, since }), 200);
    },
  );
