import { createRoute } from "@hono/zod-openapi";
import { insertPortalLink } from "../db/portal-links";
import { validationError } from "../errors";
import { requireAdmin } from "../security/auth";
import { signPortalToken } from "../security/portal-token";
import { errorResponses, TenantParams } from "../schemas/common";
import { CreatePortalLinkBody, PortalLinkSchema } from "../schemas/portal-links";
import { createApi, jsonBody, jsonResponse } from "./api";

/** Portal links: how a platform hands one of its customers the dashboard without sharing an API key. */
export const portalLinksApi = createApi().openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants/{tenant_id}/portal-links",
    tags: ["Dashboard"],
    summary: "Create a one-time, short-lived link into this tenant's dashboard (admin only)",
    request: { params: TenantParams, body: { ...jsonBody(CreatePortalLinkBody), required: false } },
    responses: { 201: jsonResponse(PortalLinkSchema, "The link"), ...errorResponses(400, 401, 404) },
  }),
  async (c) => {
    requireAdmin(c);
    const { tenant_id } = c.req.valid("param");
    // The body is optional, so defaults are applied here rather than by the validator.
    const parsed = CreatePortalLinkBody.safeParse(c.req.valid("json") ?? {});
    if (!parsed.success) throw validationError(parsed.error, "request body");
    const now = Date.now();
    const link = { id: crypto.randomUUID(), tenantId: tenant_id, now, expiresAt: now + parsed.data.ttl_seconds * 1000 };
    await insertPortalLink(c.env.DB, link);
    const token = await signPortalToken(c.env.MASTER_KEY, { linkId: link.id, tenantId: tenant_id, expiresAt: link.expiresAt });
    const url = new URL("/dashboard/portal", c.req.url);
    url.searchParams.set("token", token);
    return c.json({ url: url.href, expires_at: new Date(link.expiresAt).toISOString() }, 201);
  },
);
