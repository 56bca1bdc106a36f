import { createRoute } from "@hono/zod-openapi";
import { createPortalLink } from "../ops/portal-links";
import { adminOnly, tenantAccess } from "../security/auth";
import { errorResponses, TenantParams } from "../schemas/common";
import { CreatePortalLinkBody, PortalLinkSchema } from "../schemas/portal-links";
import { createApi, jsonBody, jsonResponse, parseOptionalBody } from "./api";

/** Portal links: how a platform hands one of its customers the dashboard without sharing an API key. */
export const portalLinksApi = createApi().openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "createPortalLink",
    middleware: [tenantAccess(), adminOnly()],
    tags: ["Dashboard"],
    summary: "Create a one-time, short-lived link into this tenant's dashboard (admin only)",
    request: { params: TenantParams, body: { ...jsonBody(CreatePortalLinkBody), required: false } },
    responses: { 201: jsonResponse(PortalLinkSchema, "The link"), ...errorResponses(400, 401, 403, 404, 413, 415) },
  }),
  async (c) => {
    const { ttl_seconds } = parseOptionalBody(CreatePortalLinkBody, c.req.valid("json"));
    const link = await createPortalLink(c.env, c.req.valid("param").tenant_id, ttl_seconds);
    const url = new URL("/dashboard/portal", c.req.url);
    url.searchParams.set("token", link.token);
    return c.json({ url: url.href, expires_at: new Date(link.expiresAt).toISOString() }, 201);
  },
);
