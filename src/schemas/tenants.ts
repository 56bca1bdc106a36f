import { z } from "@hono/zod-openapi";
import { MAX_NAME_LENGTH } from "../limits";
import { TenantId, Timestamp } from "./common";
import { StoredText } from "./fields";

/** Body of `POST /v1/tenants`. */
export const CreateTenantBody = z
  .object({
    name: StoredText.trim().min(1).max(MAX_NAME_LENGTH),
    id: TenantId.optional(),
  })
  .strict()
  .openapi("CreateTenant");

/** A tenant as the API returns it. */
export const TenantSchema = z
  .object({ id: z.string(), name: z.string(), created_at: Timestamp })
  .openapi("Tenant");

export type Tenant = z.infer<typeof TenantSchema>;
