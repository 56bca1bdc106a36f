import { OpenAPIHono } from "@hono/zod-openapi";
import type { HonoRequest } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { buildDashboard } from "./dashboard/app";
import { rootPage } from "./docs/root";
import { describeJsonSyntaxError, jsonSyntaxError } from "./lib/json-syntax";
import { describeApi } from "./openapi";
import { withRetryingD1 } from "./db/transient";
import { isTransientPlatformError, STORAGE_RETRY_AFTER_SECONDS } from "./platform-errors";
import { PayloadStorageUnavailable } from "./payloads";
import { withRelayOrigin } from "./relay-origin";
import { SecretUnavailableError } from "./secrets";
import { authenticate } from "./security/auth";
import { rateLimit } from "./security/rate-limit";
import { apiKeysApi } from "./routes/api-keys";
import { deliveriesApi } from "./routes/deliveries";
import { endpointsApi } from "./routes/endpoints";
import { eventTypesApi } from "./routes/event-types";
import { meApi } from "./routes/me";
import { messagesApi } from "./routes/messages";
import { operationalDeliveriesApi, operationalEndpointsApi, operationalMessagesApi } from "./routes/operational";
import { tenantSecretApi } from "./routes/tenant-secret";
import { portalLinksApi } from "./routes/portal-links";
import { requestBody, wireBodyLimit } from "./routes/request-body";
import { tenantsApi } from "./routes/tenants";

function errorResponse(error: ApiError): Response {
  return Response.json(error.toBody(), { status: error.status, headers: error.headers });
}

/**
 * The 400 for a request body that JSON.parse refused, saying where it broke (line, column and
 * position), so a client can find the mistake in a large batch.
 */
async function invalidJsonError(request: HonoRequest): Promise<ApiError> {
  const problem = jsonSyntaxError(await request.text().catch(() => ""));
  const where = problem ? `: ${describeJsonSyntaxError(problem)}` : "";
  const issues = problem ? [{ path: "(root)", message: describeJsonSyntaxError(problem) }] : undefined;
  return new ApiError(400, "invalid_json", `The request body is not valid JSON${where}`, issues);
}

/** Maps anything thrown in a handler to the one error shape; internals stay in the logs. */
async function toErrorResponse(err: unknown, request: HonoRequest): Promise<Response> {
  const { method, path } = request;
  if (err instanceof ApiError) return errorResponse(err);
  if (err instanceof HTTPException) {
    if (err.status === 413) return errorResponse(new ApiError(413, "payload_too_large", "The request body is too large"));
    if (err.status === 400) return errorResponse(await invalidJsonError(request));
    if (err.status === 415) return errorResponse(new ApiError(415, "unsupported_media_type", "Send the request body as application/json"));
    return errorResponse(new ApiError(err.status as 400, "http_error", err.message || "Request failed"));
  }
  if (isTransientPlatformError(err) || err instanceof PayloadStorageUnavailable) {
    console.warn(`${method} ${path}: storage temporarily unavailable: ${(err as Error).message}`);
    return errorResponse(
      new ApiError(503, "temporarily_unavailable", "Storage is briefly unavailable; retry after the Retry-After delay", undefined, {
        "retry-after": String(STORAGE_RETRY_AFTER_SECONDS),
      }),
    );
  }
  if (err instanceof SecretUnavailableError) {
    console.error(`${method} ${path}: ${err.message}`);
    return errorResponse(new ApiError(500, "secret_unavailable", "A signing secret could not be read; the operator can find the cause in the logs"));
  }
  console.error(`${method} ${path}: unhandled error`, err);
  return errorResponse(new ApiError(500, "internal_error", "Something went wrong on our side; it has been logged"));
}

/** Builds the Edgehook HTTP API. */
export function buildApp() {
  const app = new OpenAPIHono<AppEnv>();

  app.onError((err, c) => toErrorResponse(err, c.req));
  // Before anything reads D1: a transient failure is retried once where safe (src/db/transient.ts).
  app.use("*", async (c, next) => {
    c.env = withRelayOrigin(withRetryingD1(c.env), new URL(c.req.url).origin);
    await next();
  });
  app.notFound((c) => errorResponse(new ApiError(404, "not_found", `No route for ${c.req.method} ${c.req.path}`)));

  app.get("/health", (c) => c.json({ ok: true }));
  describeApi(app);
  app.get("/", rootPage);

  app.use("/v1/*", wireBodyLimit);
  app.use("/v1/*", authenticate());
  app.use("/v1/*", rateLimit());
  app.use("/v1/*", requestBody);

  // Who may call each route is said by that route's own middleware (adminOnly, tenantAccess, anyPrincipal).
  app.route("/v1/me", meApi);
  app.route("/v1/event-types", eventTypesApi);
  app.route("/v1/tenants", tenantsApi);
  app.route("/v1/tenants/:tenant_id/secret", tenantSecretApi);
  app.route("/v1/tenants/:tenant_id/api-keys", apiKeysApi);
  app.route("/v1/tenants/:tenant_id/endpoints", endpointsApi);
  app.route("/v1/tenants/:tenant_id/messages", messagesApi);
  app.route("/v1/tenants/:tenant_id/deliveries", deliveriesApi);
  app.route("/v1/tenants/:tenant_id/portal-links", portalLinksApi);
  app.route("/v1/operational-endpoints", operationalEndpointsApi);
  app.route("/v1/operational-messages", operationalMessagesApi);
  app.route("/v1/operational-deliveries", operationalDeliveriesApi);
  app.route("/dashboard", buildDashboard());
  return app;
}
