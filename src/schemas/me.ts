import { z } from "@hono/zod-openapi";

/** Body of `GET /v1/me`: who the caller's token speaks for. `tenant_id` only for a tenant API key. */
export const MeSchema = z
  .object({
    role: z.enum(["admin", "tenant"]).openapi({ description: "`admin` for the admin token, `tenant` for a tenant API key" }),
    tenant_id: z.string().optional().openapi({ description: "The tenant a tenant API key acts in", example: "acme" }),
  })
  .openapi("Me");

export type Me = z.infer<typeof MeSchema>;
