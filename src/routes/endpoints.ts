import { createRoute } from "@hono/zod-openapi";
import { replayFailedForEndpoint } from "../db/deliveries";
import { deleteEndpoint, getEndpoint, insertEndpoint, listEndpoints, updateEndpoint } from "../db/endpoints";
import { sendTestEvent } from "../delivery/enqueue";
import { enqueueDeliveries } from "../delivery/task";
import { notFound } from "../errors";
import { createSecret, deleteSecret, readSecretSet, secretView } from "../secrets";
import { rotateOwnerSecret } from "../secret-rotation";
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
import { EnqueuedSchema, RecoverBody, ReplayedSchema } from "../schemas/messages";
import { createApi, jsonBody, jsonResponse, parseOptionalBody } from "./api";
import { assertAllowedTarget, assertHeadersFitSignature } from "./guards";

const EndpointParams = TenantParams.extend({ endpoint_id: ResourceId.openapi({ param: { name: "endpoint_id", in: "path" } }) });
const tags = ["Endpoints"];
/** Most failed deliveries one recover call replays. */
const RECOVER_LIMIT = 1000;


/** Endpoints: where a tenant's webhooks go, how they are signed and retried. */
export const endpointsApi = createApi()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants/{tenant_id}/endpoints",
      tags,
      summary: "Create an endpoint (its secret is shown in this response only)",
      request: { params: TenantParams, body: jsonBody(CreateEndpointBody) },
      responses: { 201: jsonResponse(CreatedEndpointSchema, "The endpoint and its signing secret"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      const body = c.req.valid("json");
      await assertAllowedTarget(c, body.url, "url");
      assertHeadersFitSignature(body.headers ?? {}, body.signature ?? { scheme: "standard" });
      const id = crypto.randomUUID();
      // Secret first: an endpoint row never exists without its secret.
      const secret = await createSecret(c.env, { kind: "endpoint", id }, body.secret);
      try {
        const endpoint = await insertEndpoint(c.env.DB, tenant_id, id, body, Date.now());
        return c.json({ ...endpoint, secret }, 201);
      } catch (error) {
        await deleteSecret(c.env, { kind: "endpoint", id });
        throw error;
      }
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}/endpoints",
      tags,
      summary: "List endpoints",
      request: { params: TenantParams, query: PageQuery.extend(ListEndpointsQuery.shape) },
      responses: { 200: jsonResponse(pageOf(EndpointSchema, "EndpointPage"), "A page of endpoints"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const enabled = query.enabled === undefined ? undefined : query.enabled === "true";
      return c.json(await listEndpoints(c.env.DB, c.req.valid("param").tenant_id, { ...query, enabled }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}",
      tags,
      summary: "Get an endpoint",
      request: { params: EndpointParams },
      responses: { 200: jsonResponse(EndpointSchema, "The endpoint"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      const endpoint = await getEndpoint(c.env.DB, tenant_id, endpoint_id);
      if (!endpoint) throw notFound("Endpoint");
      return c.json(endpoint, 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}",
      tags,
      summary: "Change an endpoint",
      request: { params: EndpointParams, body: jsonBody(UpdateEndpointBody) },
      responses: { 200: jsonResponse(EndpointSchema, "The updated endpoint"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      const patch = c.req.valid("json");
      if (patch.url !== undefined) await assertAllowedTarget(c, patch.url, "url");
      if (patch.headers !== undefined || patch.signature !== undefined) {
        const current = await getEndpoint(c.env.DB, tenant_id, endpoint_id);
        if (!current) throw notFound("Endpoint");
        assertHeadersFitSignature(patch.headers ?? current.headers, patch.signature ?? current.signature);
      }
      const endpoint = await updateEndpoint(c.env.DB, tenant_id, endpoint_id, patch, Date.now());
      if (!endpoint) throw notFound("Endpoint");
      return c.json(endpoint, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}",
      tags,
      summary: "Delete an endpoint; pending deliveries to it are cancelled",
      request: { params: EndpointParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      if (!(await deleteEndpoint(c.env.DB, tenant_id, endpoint_id))) throw notFound("Endpoint");
      await deleteSecret(c.env, { kind: "endpoint", id: endpoint_id });
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/secret",
      tags,
      summary: "Reveal an endpoint's signing secret",
      request: { params: EndpointParams },
      responses: { 200: jsonResponse(SecretResponse, "The current secret"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      if (!(await getEndpoint(c.env.DB, tenant_id, endpoint_id))) throw notFound("Endpoint");
      const set = await readSecretSet(c.env, { kind: "endpoint", id: endpoint_id });
      if (!set) throw notFound("Endpoint secret");
      return c.json(secretView(set), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/secret/rotate",
      tags,
      summary: "Rotate an endpoint's signing secret; the old one co-signs for the grace period",
      description:
        "Standard scheme: each delivery's `webhook-signature` carries one signature per valid secret. hmac-sha256 scheme: the " +
        "signature header carries only the new secret's signature, the old secrets' signatures are in `webhook-previous-signatures`.",
      request: { params: EndpointParams, body: { ...jsonBody(RotateSecretBody), required: false } },
      responses: { 200: jsonResponse(SecretResponse, "The new secret"), ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      const { grace_period_seconds, secret } = parseOptionalBody(RotateSecretBody, c.req.valid("json"));
      const owner = { kind: "endpoint" as const, id: endpoint_id };
      const set = await rotateOwnerSecret(c.env, tenant_id, owner, { graceSeconds: grace_period_seconds, secret });
      if (!set) throw notFound("Endpoint");
      return c.json(secretView(set), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test",
      tags,
      summary: "Send a webhook.test message to this endpoint",
      request: { params: EndpointParams },
      responses: { 202: jsonResponse(EnqueuedSchema, "The test message"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      if (!(await getEndpoint(c.env.DB, tenant_id, endpoint_id))) throw notFound("Endpoint");
      return c.json(await sendTestEvent(c.env, tenant_id, endpoint_id), 202);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/recover",
      tags,
      summary: "Replay every failed delivery of this endpoint since a time",
      request: { params: EndpointParams, body: jsonBody(RecoverBody) },
      responses: { 202: jsonResponse(ReplayedSchema, "The replayed deliveries"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      if (!(await getEndpoint(c.env.DB, tenant_id, endpoint_id))) throw notFound("Endpoint");
      const since = Date.parse(c.req.valid("json").since);
      const replayed = await replayFailedForEndpoint(c.env.DB, tenant_id, endpoint_id, since, Date.now(), RECOVER_LIMIT);
      await enqueueDeliveries(c.env.DELIVERIES, replayed);
      return c.json({ deliveries: replayed.map((d) => ({ id: d.id, status: "pending" as const })) }, 202);
    },
  );
