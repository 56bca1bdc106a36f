import { describe, expect, it } from "vitest";
import { api, apiJson } from "./support/api";

describe("API reference", () => {
  it("/openapi.json is an OpenAPI 3.1 document covering every CONTRACT route", async () => {
    const res = await apiJson("GET", "/openapi.json", { token: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    const routes = Object.entries(res.body.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        "POST /v1/tenants",
        "GET /v1/tenants/{tenant_id}",
        "DELETE /v1/tenants/{tenant_id}",
        "POST /v1/tenants/{tenant_id}/api-keys",
        "DELETE /v1/tenants/{tenant_id}/api-keys/{key_id}",
        "POST /v1/tenants/{tenant_id}/endpoints",
        "GET /v1/tenants/{tenant_id}/endpoints",
        "GET /v1/tenants/{tenant_id}/endpoints/{endpoint_id}",
        "PATCH /v1/tenants/{tenant_id}/endpoints/{endpoint_id}",
        "DELETE /v1/tenants/{tenant_id}/endpoints/{endpoint_id}",
        "GET /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/secret",
        "POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/secret/rotate",
        "POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test",
        "POST /v1/tenants/{tenant_id}/messages",
        "GET /v1/tenants/{tenant_id}/messages/{message_id}",
        "GET /v1/tenants/{tenant_id}/deliveries/{delivery_id}",
        "POST /v1/tenants/{tenant_id}/deliveries/{delivery_id}/retry",
      ]),
    );
  });

  it("the document's schemas come from the zod schemas, with the one error shape", async () => {
    const { body } = await apiJson("GET", "/openapi.json", { token: null });
    expect(body.components.schemas.Error.properties.error.required).toEqual(["code", "message"]);
    expect(body.components.schemas.CreateEndpoint.required).toEqual(["url"]);
    expect(body.components.schemas.CreateEndpoint.properties.signature.properties.scheme.enum).toEqual(["standard", "hmac-sha256"]);
    expect(body.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer" });
  });

  it("/docs serves a readable API reference page", async () => {
    const res = await api("GET", "/docs", { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("/openapi.json");
  });

  it("an unknown route is a JSON 404 in the error shape", async () => {
    const res = await apiJson("GET", "/nope", { token: null });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: "not_found", message: "No route for GET /nope" } });
  });
});
