import { createRoute } from "@hono/zod-openapi";
import { recoverEndpoint } from "../ops/deliveries";
import { endpointStats } from "../ops/endpoint-stats";
import { createEndpoint, deleteEndpoint, endpointSecret, getEndpoint, listEndpoints, rotateEndpointSecret, sendTestEvent, updateEndpoint } from "../ops/endpoints";
import { secretView } from "../secrets";
import { tenantAccess } from "../security/auth";
import { errorResponses, PageQuery, pageOf, ResourceId, TenantParams } from "../schemas/common";
import {
  CreateEndpointBody,
  CreatedEndpointSchema,
  EndpointSchema,
  ListEndpointsQuery,
  RotateSecretBody,
  SecretResponse,
  UpdateEndpointBody,
} from "../schemas/endpoints";
import { EndpointStatsQuery, EndpointStatsSchema } from "../schemas/endpoint-stats";
import { EnqueuedSchema, RecoverBody, ReplayedSchema } from "../schemas/messages";
import { createApi, jsonBody, jsonResponse, parseOptionalBody } from "./api";

const EndpointParams = TenantParams.extend({ endpoint_id: ResourceId.openapi({ param: { name: "endpoint_id", in: "path" } }) });
const tags = ["Endpoints"];

/** Endpoints: where a tenant's webhooks go, how they are signed and retried. */
export const endpointsApi = createApi()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "createEndpoint",
      middleware: [tenantAccess()],
      tags,
      summary: "Create an endpoint (its secret is shown in this response only)",
      request: { params: TenantParams, body: jsonBody(CreateEndpointBody) },
      responses: { 201: jsonResponse(CreatedEndpointSchema, "The endpoint and its signing secret"), ...errorResponses(400, 401, 404, 413, 415) },
    }),
    async (c) => {
      return c.json(await createEndpoint(c.env, c.req.valid("param").tenant_id, c.req.valid("json")), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listEndpoints",
      middleware: [tenantAccess()],
      tags,
      summary: "List endpoints",
      request: { params: TenantParams, query: PageQuery.extend(ListEndpointsQuery.shape) },
      responses: { 200: jsonResponse(pageOf(EndpointSchema, "EndpointPage"), "A page of endpoints"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const enabled = query.enabled === undefined ? undefined : query.enabled === "true";
      return c.json(await listEndpoints(c.env, c.req.valid("param").tenant_id, { ...query, enabled }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{endpoint_id}",
      operationId: "getEndpoint",
      middleware: [tenantAccess()],
      tags,
      summary: "Get an endpoint",
      request: { params: EndpointParams },
      responses: { 200: jsonResponse(EndpointSchema, "The endpoint"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      return c.json(await getEndpoint(c.env, tenant_id, endpoint_id), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{endpoint_id}/stats",
      operationId: "getEndpointStats",
      middleware: [tenantAccess()],
      tags,
      summary: "An endpoint's attempts in a window: by outcome, success rate, p50/p95 latency and a series of buckets",
      request: { params: EndpointParams, query: EndpointStatsQuery },
      responses: { 200: jsonResponse(EndpointStatsSchema, "The endpoint's stats"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      const stats = await endpointStats(c.env, tenant_id, endpoint_id, c.req.valid("query").window);
      return c.json({ ...stats, series: stats.series.map((b) => ({ ...b, start: new Date(b.start).toISOString() })) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/{endpoint_id}",
      operationId: "updateEndpoint",
      middleware: [tenantAccess()],
      tags,
      summary: "Change an endpoint",
      request: { params: EndpointParams, body: jsonBody(UpdateEndpointBody) },
      responses: { 200: jsonResponse(EndpointSchema, "The updated endpoint"), ...errorResponses(400, 401, 404, 413, 415) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      return c.json(await updateEndpoint(c.env, tenant_id, endpoint_id, c.req.valid("json")), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{endpoint_id}",
      operationId: "deleteEndpoint",
      middleware: [tenantAccess()],
      tags,
      summary: "Delete an endpoint; pending deliveries to it are cancelled",
      request: { params: EndpointParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      await deleteEndpoint(c.env, tenant_id, endpoint_id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{endpoint_id}/secret",
      operationId: "getEndpointSecret",
      middleware: [tenantAccess()],
      tags,
      summary: "Reveal an endpoint's signing secret",
      request: { params: EndpointParams },
      responses: { 200: jsonResponse(SecretResponse, "The current secret"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      return c.json(await secretView(await endpointSecret(c.env, tenant_id, endpoint_id)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{endpoint_id}/secret/rotate",
      operationId: "rotateEndpointSecret",
      middleware: [tenantAccess()],
      tags,
      summary: "Rotate an endpoint's signing secret; the old one co-signs for the grace period",
      description:
        "Standard scheme: each delivery's `webhook-signature` carries one signature per valid secret. hmac-sha256 scheme: the " +
        "signature header carries only the new secret's signature, the old secrets' signatures are in `webhook-previous-signatures`. " +
        "409 `conflict` when concurrent rotations kept winning, or when ten old secrets still co-sign (the most a secret keeps): rotate with `grace_period_seconds: 0` or wait for one to expire.",
      request: { params: EndpointParams, body: { ...jsonBody(RotateSecretBody), required: false } },
      responses: { 200: jsonResponse(SecretResponse, "The new secret"), ...errorResponses(400, 401, 404, 409, 413, 415) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      const { grace_period_seconds, secret } = parseOptionalBody(RotateSecretBody, c.req.valid("json"));
      const set = await rotateEndpointSecret(c.env, tenant_id, endpoint_id, grace_period_seconds, secret);
      return c.json(await secretView(set), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{endpoint_id}/test",
      operationId: "sendTestMessage",
      middleware: [tenantAccess()],
      tags,
      summary: "Send a webhook.test message to this endpoint",
      request: { params: EndpointParams },
      responses: { 202: jsonResponse(EnqueuedSchema, "The test message"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      return c.json(await sendTestEvent(c.env, tenant_id, endpoint_id), 202);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{endpoint_id}/recover",
      operationId: "recoverEndpointDeliveries",
      middleware: [tenantAccess()],
      tags,
      summary: "Replay every failed delivery of this endpoint since a time",
      request: { params: EndpointParams, body: jsonBody(RecoverBody) },
      responses: { 202: jsonResponse(ReplayedSchema, "The replayed deliveries"), ...errorResponses(400, 401, 404, 413, 415) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      const replayed = await recoverEndpoint(c.env, tenant_id, endpoint_id, Date.parse(c.req.valid("json").since));
      return c.json({ deliveries: replayed.map((d) => ({ id: d.id, status: "pending" as const })) }, 202);
    },
  );
