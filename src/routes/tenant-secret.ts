import { createRoute } from "@hono/zod-openapi";
import { rotateTenantSecret, tenantSecret } from "../ops/tenants";
import { secretView } from "../secrets";
import { tenantAccess } from "../security/auth";
import { errorResponses, TenantParams } from "../schemas/common";
import { RotateSecretBody, SecretResponse } from "../schemas/endpoints";
import { createApi, jsonBody, jsonResponse, parseOptionalBody } from "./api";

const tags = ["Tenants"];

/** The tenant's own signing secret, which signs one-off `webhook_url` deliveries. */
export const tenantSecretApi = createApi()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "getTenantSecret",
      middleware: [tenantAccess()],
      tags,
      summary: "Reveal the secret that signs this tenant's one-off webhook_url deliveries",
      request: { params: TenantParams },
      responses: { 200: jsonResponse(SecretResponse, "The current secret"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      return c.json(await secretView(await tenantSecret(c.env, c.req.valid("param").tenant_id)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/rotate",
      operationId: "rotateTenantSecret",
      middleware: [tenantAccess()],
      tags,
      summary: "Rotate the tenant's one-off signing secret; the old one co-signs for the grace period",
      description: "409 `conflict` when concurrent rotations kept winning, or when ten old secrets still co-sign (the most a secret keeps): rotate with `grace_period_seconds: 0` or wait for one to expire.",
      request: { params: TenantParams, body: { ...jsonBody(RotateSecretBody), required: false } },
      responses: { 200: jsonResponse(SecretResponse, "The new secret"), ...errorResponses(400, 401, 404, 409, 413, 415) },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      const { grace_period_seconds, secret } = parseOptionalBody(RotateSecretBody, c.req.valid("json"));
      const set = await rotateTenantSecret(c.env, tenant_id, grace_period_seconds, secret);
      return c.json(await secretView(set), 200);
    },
  );
