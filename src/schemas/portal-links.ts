import { z } from "@hono/zod-openapi";
import { DEFAULT_PORTAL_LINK_TTL_SECONDS, MAX_PORTAL_LINK_TTL_SECONDS, MIN_PORTAL_LINK_TTL_SECONDS } from "../limits";
import { Timestamp } from "./common";

/** Body of `POST /v1/tenants/{tenant_id}/portal-links`. */
export const CreatePortalLinkBody = z
  .object({
    ttl_seconds: z
      .number()
      .int()
      .min(MIN_PORTAL_LINK_TTL_SECONDS)
      .max(MAX_PORTAL_LINK_TTL_SECONDS)
      .default(DEFAULT_PORTAL_LINK_TTL_SECONDS)
      .openapi({ description: "How long the link can be used, in seconds (default 900)" }),
  })
  .strict()
  .openapi("CreatePortalLink");

/** A one-time link into the tenant's dashboard. */
export const PortalLinkSchema = z
  .object({
    url: z.string().openapi({
      description: "Open once, before expires_at, to get a dashboard session for this tenant",
      example: "https://edgehook.example.com/dashboard/portal?token=ehp_…",
    }),
    expires_at: Timestamp,
  })
  .openapi("PortalLink");
