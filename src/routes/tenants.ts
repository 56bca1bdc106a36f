import { createRoute } from "@hono/zod-openapi";
import { getTenant, listTenants } from "../db/tenants";
import { ApiError, notFound } from "../errors";
import { requireAdmin } from "../security/auth";
import { createTenant, removeTenant } from "../tenant-lifecycle";
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
      const tenant = await createTenant(c.env, { id: body.id ?? crypto.randomUUID(), name: body.name }, Date.now());
      if (!tenant) throw new ApiError(409, "tenant_exists", `A tenant with id "${body.id}" already exists`);
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
      if (!(await removeTenant(c.env, c.req.valid("param").tenant_id))) throw notFound("Tenant");
      return c.body(null, 204);
    },
  );
