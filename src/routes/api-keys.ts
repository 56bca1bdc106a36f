import { createRoute, z } from "@hono/zod-openapi";
import { createApiKey, listApiKeys, revokeApiKey } from "../ops/api-keys";
import { adminOnly, tenantAccess } from "../security/auth";
import { ApiKeySchema, CreateApiKeyBody, CreatedApiKeySchema } from "../schemas/api-keys";
import { errorResponses, ResourceId, TenantParams } from "../schemas/common";
import { createApi, jsonBody, jsonResponse } from "./api";

const KeyParams = TenantParams.extend({ key_id: ResourceId.openapi({ param: { name: "key_id", in: "path" } }) });

/** Tenant API keys: issued and revoked by the platform operator; the key is shown once. */
export const apiKeysApi = createApi()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "createApiKey",
      middleware: [tenantAccess(), adminOnly()],
      tags: ["API keys"],
      summary: "Create a tenant API key (shown once)",
      request: { params: TenantParams, body: jsonBody(CreateApiKeyBody) },
      responses: { 201: jsonResponse(CreatedApiKeySchema, "The key, shown only in this response"), ...errorResponses(400, 401, 403, 404, 413, 415) },
    }),
    async (c) => {
      return c.json(await createApiKey(c.env, c.req.valid("param").tenant_id, c.req.valid("json").name ?? null), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listApiKeys",
      middleware: [tenantAccess(), adminOnly()],
      tags: ["API keys"],
      summary: "List a tenant's API keys (metadata only)",
      request: { params: TenantParams },
      responses: { 200: jsonResponse(z.object({ data: z.array(ApiKeySchema) }), "The keys"), ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      return c.json({ data: await listApiKeys(c.env, c.req.valid("param").tenant_id) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{key_id}",
      operationId: "revokeApiKey",
      middleware: [tenantAccess(), adminOnly()],
      tags: ["API keys"],
      summary: "Revoke a tenant API key",
      request: { params: KeyParams },
      responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      const { tenant_id, key_id } = c.req.valid("param");
      await revokeApiKey(c.env, tenant_id, key_id);
      return c.body(null, 204);
    },
  );
