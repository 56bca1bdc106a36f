import { createRoute, z } from "@hono/zod-openapi";
import { objectText } from "../lib/json-text";
import {
  createOperationalEndpoint,
  deleteOperationalEndpoint,
  getOperationalDelivery,
  getOperationalEndpoint,
  getOperationalMessage,
  listOperationalEndpoints,
  listOperationalMessages,
  operationalEndpointSecret,
  replayOperationalDelivery,
  rotateOperationalEndpointSecret,
  testOperationalEndpoint,
  updateOperationalEndpoint,
} from "../ops/operational-endpoints";
import { secretView } from "../secrets";
import { adminOnly } from "../security/auth";
import { errorResponses, PageQuery, pageOf, ResourceId } from "../schemas/common";
import {
  CreateEndpointBody,
  CreatedEndpointSchema,
  EndpointSchema,
  ListEndpointsQuery,
  RotateSecretBody,
  SecretResponse,
  UpdateEndpointBody,
} from "../schemas/endpoints";
import { DeliverySchema, EnqueuedSchema, ListMessagesQuery, MessageListItemSchema, MessageSchema, ReplayedSchema } from "../schemas/messages";
import { createApi, jsonBody, jsonResponse, jsonTextResponse, parseOptionalBody } from "./api";

/**
 * Operational webhooks (admin token only): the platform's endpoints for operational events
 * (`endpoint.disabled`, `endpoint.enabled`, `endpoint.failing`, `delivery.exhausted`), and the
 * events themselves as messages and deliveries to poll and replay. Shaped like their tenant
 * counterparts, whose operations they run (src/ops/operational-endpoints.ts).
 */

const tags = ["Operational webhooks"];
const EndpointParams = z.object({ endpoint_id: ResourceId.openapi({ param: { name: "endpoint_id", in: "path" } }) });
const MessageParams = z.object({ message_id: ResourceId.openapi({ param: { name: "message_id", in: "path" } }) });
const DeliveryParams = z.object({ delivery_id: ResourceId.openapi({ param: { name: "delivery_id", in: "path" } }) });
const middleware = [adminOnly()];

/** `/v1/operational-endpoints`: the platform's endpoints for operational events. */
export const operationalEndpointsApi = createApi()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "createOperationalEndpoint",
      middleware,
      tags,
      summary: "Create an operational endpoint (its secret is shown in this response only)",
      description:
        "The body is a tenant endpoint's. `events` chooses among `endpoint.disabled`, `endpoint.enabled`, `endpoint.failing` and " +
        "`delivery.exhausted` (empty = all). The endpoint's `tenant_id` is the reserved platform tenant `_platform`.",
      request: { body: jsonBody(CreateEndpointBody) },
      responses: { 201: jsonResponse(CreatedEndpointSchema, "The endpoint and its signing secret"), ...errorResponses(400, 401, 403, 413, 415) },
    }),
    async (c) => c.json(await createOperationalEndpoint(c.env, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listOperationalEndpoints",
      middleware,
      tags,
      summary: "List operational endpoints",
      request: { query: PageQuery.extend(ListEndpointsQuery.shape) },
      responses: { 200: jsonResponse(pageOf(EndpointSchema, "EndpointPage"), "A page of operational endpoints"), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const enabled = query.enabled === undefined ? undefined : query.enabled === "true";
      return c.json(await listOperationalEndpoints(c.env, { ...query, enabled }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{endpoint_id}",
      operationId: "getOperationalEndpoint",
      middleware,
      tags,
      summary: "Get an operational endpoint",
      request: { params: EndpointParams },
      responses: { 200: jsonResponse(EndpointSchema, "The endpoint"), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(await getOperationalEndpoint(c.env, c.req.valid("param").endpoint_id), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/{endpoint_id}",
      operationId: "updateOperationalEndpoint",
      middleware,
      tags,
      summary: "Change an operational endpoint",
      request: { params: EndpointParams, body: jsonBody(UpdateEndpointBody) },
      responses: { 200: jsonResponse(EndpointSchema, "The updated endpoint"), ...errorResponses(400, 401, 403, 404, 413, 415) },
    }),
    async (c) => c.json(await updateOperationalEndpoint(c.env, c.req.valid("param").endpoint_id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{endpoint_id}",
      operationId: "deleteOperationalEndpoint",
      middleware,
      tags,
      summary: "Delete an operational endpoint; pending deliveries to it are cancelled",
      request: { params: EndpointParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      await deleteOperationalEndpoint(c.env, c.req.valid("param").endpoint_id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{endpoint_id}/secret",
      operationId: "getOperationalEndpointSecret",
      middleware,
      tags,
      summary: "Reveal an operational endpoint's signing secret",
      request: { params: EndpointParams },
      responses: { 200: jsonResponse(SecretResponse, "The current secret"), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(await secretView(await operationalEndpointSecret(c.env, c.req.valid("param").endpoint_id)), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{endpoint_id}/secret/rotate",
      operationId: "rotateOperationalEndpointSecret",
      middleware,
      tags,
      summary: "Rotate an operational endpoint's signing secret; the old one co-signs for the grace period",
      request: { params: EndpointParams, body: { ...jsonBody(RotateSecretBody), required: false } },
      responses: { 200: jsonResponse(SecretResponse, "The new secret"), ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
    }),
    async (c) => {
      const { grace_period_seconds, secret } = parseOptionalBody(RotateSecretBody, c.req.valid("json"));
      return c.json(await secretView(await rotateOperationalEndpointSecret(c.env, c.req.valid("param").endpoint_id, grace_period_seconds, secret)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{endpoint_id}/test",
      operationId: "sendOperationalTestMessage",
      middleware,
      tags,
      summary: "Send a webhook.test message to this operational endpoint",
      request: { params: EndpointParams },
      responses: { 202: jsonResponse(EnqueuedSchema, "The test message"), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(await testOperationalEndpoint(c.env, c.req.valid("param").endpoint_id), 202),
  );

/** `/v1/operational-messages`: each operational event, as a message with its deliveries. */
export const operationalMessagesApi = createApi()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listOperationalMessages",
      middleware,
      tags,
      summary: "List operational events, newest first",
      request: { query: PageQuery.extend(ListMessagesQuery.shape) },
      responses: { 200: jsonResponse(pageOf(MessageListItemSchema, "MessagePage"), "A page of operational messages"), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      return c.json(await listOperationalMessages(c.env, { ...query, since: query.since ? Date.parse(query.since) : undefined }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{message_id}",
      operationId: "getOperationalMessage",
      middleware,
      tags,
      summary: "Poll an operational event: its payload and each delivery's state",
      request: { params: MessageParams },
      responses: { 200: jsonResponse(MessageSchema, "The message"), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const message = await getOperationalMessage(c.env, c.req.valid("param").message_id);
      return jsonTextResponse<z.output<typeof MessageSchema>>(c, objectText(message, { payload: message.payload }));
    },
  );

/** `/v1/operational-deliveries`: one operational event to one operational endpoint; inspect and replay. */
export const operationalDeliveriesApi = createApi()
  .openapi(
    createRoute({
      method: "get",
      path: "/{delivery_id}",
      operationId: "getOperationalDelivery",
      middleware,
      tags,
      summary: "Get a delivery of an operational event with its attempts",
      request: { params: DeliveryParams },
      responses: { 200: jsonResponse(DeliverySchema, "The delivery"), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(await getOperationalDelivery(c.env, c.req.valid("param").delivery_id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{delivery_id}/retry",
      operationId: "retryOperationalDelivery",
      middleware,
      tags,
      summary: "Replay a delivery of an operational event, whatever its state, with a fresh attempt budget",
      request: { params: DeliveryParams },
      responses: { 202: jsonResponse(ReplayedSchema, "The replayed delivery"), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const replayed = await replayOperationalDelivery(c.env, c.req.valid("param").delivery_id);
      return c.json({ deliveries: [{ id: replayed.id, status: "pending" as const }] }, 202);
    },
  );
