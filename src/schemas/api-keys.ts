import { z } from "@hono/zod-openapi";
import { MAX_NAME_LENGTH } from "../limits";
import { Timestamp } from "./common";

/** Body of `POST /v1/tenants/{tenant_id}/api-keys`. */
export const CreateApiKeyBody = z.object({ name: z.string().trim().min(1).max(MAX_NAME_LENGTH).optional() }).strict().openapi("CreateApiKey");

/** An API key's metadata; the key itself is never returned after creation. */
export const ApiKeySchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    name: z.string().nullable(),
    key_prefix: z.string(),
    created_at: Timestamp,
    revoked_at: Timestamp.nullable(),
  })
  .openapi("ApiKey");

/** The creation response: the metadata plus the key, shown this once. */
export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ example: "ehk_2c1f…" }),
}).openapi("CreatedApiKey");

export type ApiKey = z.infer<typeof ApiKeySchema>;
