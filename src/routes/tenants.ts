import { createRoute } from "@hono/zod-openapi";
import { deleteTenant, getTenant, insertTenant, listTenants } from "../db/tenants";
import { endpointIdsOfTenant } from "../db/endpoints";
import { ApiError, notFound } from "../errors";
import { createSecret, deleteSecret } from "../secrets";
import { forgetVerifiedKeys, requireAdmin } from "../security/auth";
import { errorResponses, PageQuery, pageOf, TenantParams } from "../schemas/common";
import { CreateTenantBody, TenantSchema } from "../schemas/tenants";
import { createApi, jsonBody, jsonResponse } from "./api";

/** Tenants: created and removed by the platform operator (admin token only). */
export const tenantsApi = createApi()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants",
      tags: ["Tenants"],
      summary: "Create a tenant",
      request: { body: jsonBody(CreateTenantBody) },
      responses: {
        201: jsonResponse(TenantSchema, "The tenant"),
        ...errorResponses(400, 401, 409),
      },
    }),
    async (c) => {
      requireAdmin(c);
      const body = c.req.valid("json");
      const tenant = await insertTenant(c.env.DB, body.id ?? crypto.randomUUID(), body.name, Date.now());
      if (!tenant) throw new ApiError(409, "tenant_exists", `A tenant with id "${body.id}" already exists`);
      // The tenant's own secret signs one-off webhook_url deliveries; no tenant is left without one.
      try {
        await createSecret(c.env, { kind: "tenant", id: tenant.id });
      } catch (error) {
        await deleteTenant(c.env.DB, tenant.id);
        throw error;
      }
      return c.json(tenant, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/tenants",
      tags: ["Tenants"],
      summary: "List tenants",
      request: { query: PageQuery },
      responses: { 200: jsonResponse(pageOf(TenantSchema, "TenantPage"), "A page of tenants"), ...errorResponses(400, 401) },
    }),
    async (c) => {
      requireAdmin(c);
      return c.json(await listTenants(c.env.DB, c.req.valid("query")), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}",
      tags: ["Tenants"],
      summary: "Get a tenant",
      request: { params: TenantParams },
      responses: { 200: jsonResponse(TenantSchema, "The tenant"), ...errorResponses(401, 404) },
    }),
    async (c) => {
      requireAdmin(c);
      const tenant = await getTenant(c.env.DB, c.req.valid("param").tenant_id);
      if (!tenant) throw notFound("Tenant");
      return c.json(tenant, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/v1/tenants/{tenant_id}",
      tags: ["Tenants"],
      summary: "Delete a tenant and everything it owns",
      request: { params: TenantParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses(401, 404) },
    }),
    async (c) => {
      requireAdmin(c);
      const { tenant_id } = c.req.valid("param");
      const endpointIds = await endpointIdsOfTenant(c.env.DB, tenant_id);
      if (!(await deleteTenant(c.env.DB, tenant_id))) throw notFound("Tenant");
      forgetVerifiedKeys(tenant_id);
      await Promise.all([
        deleteSecret(c.env, { kind: "tenant", id: tenant_id }),
        ...endpointIds.map((id) => deleteSecret(c.env, { kind: "endpoint", id })),
      ]);
      return c.body(null, 204);
    },
  );
