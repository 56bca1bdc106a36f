import { createRoute } from "@hono/zod-openapi";
import { createTenant, deleteTenant, getTenant, listTenants } from "../ops/tenants";
import { adminOnly, tenantAccess } from "../security/auth";
import { errorResponses, PageQuery, pageOf, TenantParams } from "../schemas/common";
import { CreateTenantBody, TenantSchema } from "../schemas/tenants";
import { createApi, jsonBody, jsonResponse } from "./api";

/** Tenants: created and removed by the platform operator (admin token only). */
export const tenantsApi = createApi()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "createTenant",
      middleware: [adminOnly()],
      tags: ["Tenants"],
      summary: "Create a tenant",
      request: { body: jsonBody(CreateTenantBody) },
      responses: {
        201: jsonResponse(TenantSchema, "The tenant"),
        ...errorResponses(400, 401, 403, 409, 413, 415),
      },
    }),
    async (c) => {
      return c.json(await createTenant(c.env, c.req.valid("json")), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listTenants",
      middleware: [adminOnly()],
      tags: ["Tenants"],
      summary: "List tenants",
      request: { query: PageQuery },
      responses: { 200: jsonResponse(pageOf(TenantSchema, "TenantPage"), "A page of tenants"), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      return c.json(await listTenants(c.env, c.req.valid("query")), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{tenant_id}",
      operationId: "getTenant",
      middleware: [tenantAccess(), adminOnly()],
      tags: ["Tenants"],
      summary: "Get a tenant",
      request: { params: TenantParams },
      responses: { 200: jsonResponse(TenantSchema, "The tenant"), ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      return c.json(await getTenant(c.env, c.req.valid("param").tenant_id), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{tenant_id}",
      operationId: "deleteTenant",
      middleware: [tenantAccess(), adminOnly()],
      tags: ["Tenants"],
      summary: "Delete a tenant and everything it owns",
      request: { params: TenantParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      await deleteTenant(c.env, c.req.valid("param").tenant_id);
      return c.body(null, 204);
    },
  );
