import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import packageJson from "../package.json";
import { buildApp } from "../src/app";
import { wholeCatalogue } from "../src/ops/event-types";
import { api, apiJson } from "./support/api";
import { DashboardClient } from "./support/dashboard-client";

describe("API reference", () => {
  it("/openapi.json carries the package's version, the one the CLI prints", async () => {
    const res = await apiJson("GET", "/openapi.json", { token: null });
    expect(res.body.info.version).toBe(packageJson.version);
  });

  it("/openapi.json is an OpenAPI 3.1 document covering every route the README lists", async () => {
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
        "GET /v1/me",
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
    expect(body.components.schemas.CreateEndpoint.properties.signature.properties.scheme.enum).toEqual(["standard", "hmac-sha256", "ed25519"]);
    expect(body.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer" });
  });

  it("every operation has a stable verb-noun operationId, so generated SDKs get good method names", async () => {
    const { body } = await apiJson("GET", "/openapi.json", { token: null });
    const ids = Object.fromEntries(
      Object.entries(body.paths as Record<string, Record<string, { operationId: string }>>).flatMap(([path, ops]) =>
        Object.entries(ops).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op.operationId]),
      ),
    );
    expect(ids).toEqual({
      "GET /v1/me": "getMe",
      "POST /v1/tenants": "createTenant",
      "GET /v1/tenants": "listTenants",
      "GET /v1/tenants/{tenant_id}": "getTenant",
      "DELETE /v1/tenants/{tenant_id}": "deleteTenant",
      "GET /v1/tenants/{tenant_id}/secret": "getTenantSecret",
      "POST /v1/tenants/{tenant_id}/secret/rotate": "rotateTenantSecret",
      "POST /v1/tenants/{tenant_id}/api-keys": "createApiKey",
      "GET /v1/tenants/{tenant_id}/api-keys": "listApiKeys",
      "DELETE /v1/tenants/{tenant_id}/api-keys/{key_id}": "revokeApiKey",
      "POST /v1/tenants/{tenant_id}/endpoints": "createEndpoint",
      "GET /v1/tenants/{tenant_id}/endpoints": "listEndpoints",
      "GET /v1/tenants/{tenant_id}/endpoints/{endpoint_id}": "getEndpoint",
      "PATCH /v1/tenants/{tenant_id}/endpoints/{endpoint_id}": "updateEndpoint",
      "DELETE /v1/tenants/{tenant_id}/endpoints/{endpoint_id}": "deleteEndpoint",
      "GET /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/secret": "getEndpointSecret",
      "GET /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/stats": "getEndpointStats",
      "POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/secret/rotate": "rotateEndpointSecret",
      "POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test": "sendTestMessage",
      "POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/recover": "recoverEndpointDeliveries",
      "POST /v1/tenants/{tenant_id}/messages": "enqueueMessage",
      "POST /v1/tenants/{tenant_id}/messages/batch": "enqueueMessageBatch",
      "GET /v1/tenants/{tenant_id}/messages": "listMessages",
      "GET /v1/tenants/{tenant_id}/messages/{message_id}": "getMessage",
      "POST /v1/tenants/{tenant_id}/messages/{message_id}/cancel": "cancelMessage",
      "GET /v1/tenants/{tenant_id}/deliveries": "listDeliveries",
      "GET /v1/tenants/{tenant_id}/deliveries/{delivery_id}": "getDelivery",
      "POST /v1/tenants/{tenant_id}/deliveries/{delivery_id}/retry": "retryDelivery",
      "POST /v1/tenants/{tenant_id}/portal-links": "createPortalLink",
      "POST /v1/event-types": "createEventType",
      "GET /v1/event-types": "listEventTypes",
      "GET /v1/event-types/{name}": "getEventType",
      "PATCH /v1/event-types/{name}": "updateEventType",
      "DELETE /v1/event-types/{name}": "deleteEventType",
      "POST /v1/operational-endpoints": "createOperationalEndpoint",
      "GET /v1/operational-endpoints": "listOperationalEndpoints",
      "GET /v1/operational-endpoints/{endpoint_id}": "getOperationalEndpoint",
      "PATCH /v1/operational-endpoints/{endpoint_id}": "updateOperationalEndpoint",
      "DELETE /v1/operational-endpoints/{endpoint_id}": "deleteOperationalEndpoint",
      "GET /v1/operational-endpoints/{endpoint_id}/secret": "getOperationalEndpointSecret",
      "POST /v1/operational-endpoints/{endpoint_id}/secret/rotate": "rotateOperationalEndpointSecret",
      "POST /v1/operational-endpoints/{endpoint_id}/test": "sendOperationalTestMessage",
      "GET /v1/operational-messages": "listOperationalMessages",
      "GET /v1/operational-messages/{message_id}": "getOperationalMessage",
      "GET /v1/operational-deliveries/{delivery_id}": "getOperationalDelivery",
      "POST /v1/operational-deliveries/{delivery_id}/retry": "retryOperationalDelivery",
    });
  });

  it("names the relay that served it as the server, and the license", async () => {
    const { body } = await apiJson("GET", "/openapi.json", { token: null });
    expect(body.servers).toEqual([{ url: "https://edgehook.test", description: "This relay" }]);
    expect(body.info.license).toEqual({ name: "MIT", identifier: "MIT" });
  });

  it("documents the 415 unsupported_media_type that a JSON body sent as text gets", async () => {
    const { body } = await apiJson("GET", "/openapi.json", { token: null });
    const enqueue = body.paths["/v1/tenants/{tenant_id}/messages"].post;
    expect(enqueue.responses["415"].description).toContain("unsupported_media_type");
    const created = await apiJson("POST", "/v1/tenants", { body: { name: "media type" } });
    const res = await api("POST", `/v1/tenants/${created.body.id}/endpoints`, { rawBody: '{"url":"https://example.com"}', headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(415);
    expect(body.paths["/v1/tenants/{tenant_id}/endpoints"].post.responses["415"]).toBeDefined();
  });

  it("documents Content-Encoding on both enqueue routes, with the 415 unsupported_content_encoding and the decompressed size limit", async () => {
    const { body } = await apiJson("GET", "/openapi.json", { token: null });
    for (const path of ["/v1/tenants/{tenant_id}/messages", "/v1/tenants/{tenant_id}/messages/batch"]) {
      const operation = body.paths[path].post;
      const header = operation.parameters.find((p: { in: string; name: string }) => p.in === "header" && p.name === "content-encoding");
      expect(header?.description, path).toContain("`gzip`, `deflate` (zlib format) or `br`");
      expect(operation.responses["415"].description, path).toContain("unsupported_content_encoding");
      expect(operation.description, path).toContain("decompressed");
    }
  });

  it("describes in `webhooks` what a receiver gets: the payload as the body and each scheme's signature headers", async () => {
    const { body } = await apiJson("GET", "/openapi.json", { token: null });
    const headersOf = (name: string) => body.webhooks[name].post.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    expect(Object.keys(body.webhooks).slice(0, 7)).toEqual([
      "delivery-standard",
      "delivery-hmac-sha256",
      "delivery-ed25519",
      "endpoint.disabled",
      "endpoint.enabled",
      "endpoint.failing",
      "delivery.exhausted",
    ]);
    expect(headersOf("delivery-standard")).toEqual(expect.arrayContaining(["header:webhook-id", "header:webhook-timestamp", "header:webhook-signature"]));
    expect(headersOf("delivery-hmac-sha256")).toEqual(expect.arrayContaining(["header:x-webhook-signature", "header:webhook-previous-signatures"]));
    expect(body.webhooks["delivery-standard"].post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/WebhookPayload" });
    expect(body.webhooks["delivery-standard"].post.security).toEqual([]);
  });

  it("describes the ed25519 scheme's delivery (v1a signatures, verified with the endpoint's public_key) and the public_key fields", async () => {
    const { body } = await apiJson("GET", "/openapi.json", { token: null });
    const ed25519 = body.webhooks["delivery-ed25519"].post;
    const signature = ed25519.parameters.find((p: { name: string }) => p.name === "webhook-signature");
    expect(signature.description).toContain("v1a,");
    expect(ed25519.description).toContain("public_key");
    expect(ed25519.security).toEqual([]);
    expect(body.components.schemas.SignatureConfig.properties.scheme.enum).toEqual(["standard", "hmac-sha256", "ed25519"]);
    expect(body.components.schemas.Endpoint.properties.public_key.type).toBe("string");
    expect(body.components.schemas.EndpointSecret.properties.public_key.type).toBe("string");
  });

  it("describes each operational event in `webhooks` with its payload schema", async () => {
    const { body } = await apiJson("GET", "/openapi.json", { token: null });
    const schemaOf = (type: string) => body.webhooks[type].post.requestBody.content["application/json"].schema;
    expect(schemaOf("endpoint.failing")).toEqual({ $ref: "#/components/schemas/EndpointFailingEvent" });
    expect(body.components.schemas.DeliveryExhaustedEvent.required).toEqual(
      expect.arrayContaining(["type", "tenant_id", "endpoint_id", "message_id", "delivery_id"]),
    );
    expect(body.components.schemas.EndpointDisabledEvent.properties.reason.enum).toEqual(["failures", "gone", "manual"]);
  });

  it("GET / sends a browser to the dashboard", async () => {
    const page = await new DashboardClient().get("/", { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/dashboard");
  });

  it("GET / answers an API client with JSON naming the docs and the document", async () => {
    for (const accept of ["application/json", "*/*"]) {
      const res = await apiJson("GET", "/", { token: null, headers: { accept } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ docs: "/docs", openapi: "/openapi.json", dashboard: "/dashboard" });
    }
  });

  it("GET / answers JSON to an Accept that refuses HTML or weights JSON higher", async () => {
    for (const accept of ["text/html;q=0, application/json", "text/html;q=0.5, application/json;q=0.9", "text/html;q=0"]) {
      const res = await apiJson("GET", "/", { token: null, headers: { accept } });
      expect(res.status, accept).toBe(200);
      expect(res.body, accept).toMatchObject({ openapi: "/openapi.json" });
    }
  });

  it("GET / says that its answer varies with Accept, to browsers and API clients alike", async () => {
    const browser = await new DashboardClient().get("/", { accept: "text/html" });
    const client = await api("GET", "/", { token: null, headers: { accept: "application/json" } });
    expect(browser.headers.get("vary")).toBe("Accept");
    expect(client.headers.get("vary")).toBe("Accept");
  });

  it("an unknown route is a JSON 404 in the error shape", async () => {
    const res = await apiJson("GET", "/nope", { token: null });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: "not_found", message: "No route for GET /nope" } });
  });

  describe("the event-type catalogue in webhooks", () => {
    it("lists each catalogued type under its name, with its description, example and the default scheme's headers", async () => {
      const name = `doc${crypto.randomUUID().slice(0, 8)}.paid`;
      const example = { invoice_id: "inv_1" };
      await apiJson("POST", "/v1/event-types", { body: { name, description: "An invoice was paid", schema: { type: "object" }, example } });
      const { body } = await apiJson("GET", "/openapi.json", { token: null });
      const entry = body.webhooks[name].post;
      expect(entry.summary).toBe(`\`${name}\`: An invoice was paid`);
      expect(entry.requestBody.content["application/json"].example).toEqual(example);
      expect(entry.parameters).toEqual(body.webhooks["delivery-standard"].post.parameters);
      expect(entry.deprecated).toBeUndefined();
    });

    it("describes a type's body with its schema, its local $refs pointing where the schema sits in the document", async () => {
      const name = `doc${crypto.randomUUID().slice(0, 8)}.refunded`;
      const schema = { $defs: { money: { type: "number" } }, type: "object", properties: { amount: { $ref: "#/$defs/money" } } };
      await apiJson("POST", "/v1/event-types", { body: { name, description: "x", schema } });
      const { body } = await apiJson("GET", "/openapi.json", { token: null });
      const ref = body.webhooks[name].post.requestBody.content["application/json"].schema.$ref as string;
      const component = ref.replace("#/components/schemas/", "");
      expect(body.components.schemas[component]).toEqual({ ...schema, properties: { amount: { $ref: `${ref}/$defs/money` } } });
    });

    it("a type's references by $id or $anchor point where their targets sit in the document, and its $ids and $anchors are left out", async () => {
      const name = `doc${crypto.randomUUID().slice(0, 8)}.billed`;
      const schema = {
        $id: "https://schemas.example/invoice",
        $defs: { money: { $id: "https://schemas.example/money", type: "number" }, currency: { $anchor: "currency", type: "string" } },
        type: "object",
        properties: { total: { $ref: "https://schemas.example/money" }, tax: { $ref: "money" }, currency: { $ref: "#currency" }, self: { $ref: "#" } },
      };
      await apiJson("POST", "/v1/event-types", { body: { name, description: "x", schema } });
      const { body } = await apiJson("GET", "/openapi.json", { token: null });
      const ref = body.webhooks[name].post.requestBody.content["application/json"].schema.$ref as string;
      const component = ref.replace("#/components/schemas/", "");
      expect(body.components.schemas[component]).toEqual({
        $defs: { money: { type: "number" }, currency: { type: "string" } },
        type: "object",
        properties: { total: { $ref: `${ref}/$defs/money` }, tax: { $ref: `${ref}/$defs/money` }, currency: { $ref: `${ref}/$defs/currency` }, self: { $ref: ref } },
      });
    });

    it("a catalogued type named like an operational event keeps the operational entry, and its own entry says operational events of that name are not checked", async () => {
      await apiJson("POST", "/v1/event-types", { body: { name: "endpoint.enabled", description: "x", schema: { type: "object" }, enforce: true } });
      try {
        const { body } = await apiJson("GET", "/openapi.json", { token: null });
        expect(body.webhooks["endpoint.enabled"].post.operationId).toBe("receiveEndpointEnabledEvent");
        expect(body.webhooks["event-type:endpoint.enabled"].post.description).toContain(
          "Operational events of this name (the relay's own, `source` `_edgehook`) are never checked: the `endpoint.enabled` entry describes them.",
        );
      } finally {
        await apiJson("DELETE", "/v1/event-types/endpoint.enabled");
      }
    });

    it("marks a deprecated type deprecated", async () => {
      const name = `doc${crypto.randomUUID().slice(0, 8)}.old`;
      await apiJson("POST", "/v1/event-types", { body: { name, description: "x", deprecated: true } });
      const { body } = await apiJson("GET", "/openapi.json", { token: null });
      expect(body.webhooks[name].post.deprecated).toBe(true);
    });

    it("a type removed from the catalogue is gone from the next document", async () => {
      const name = `doc${crypto.randomUUID().slice(0, 8)}.gone`;
      await apiJson("POST", "/v1/event-types", { body: { name, description: "x" } });
      await apiJson("DELETE", `/v1/event-types/${name}`);
      const { body } = await apiJson("GET", "/openapi.json", { token: null });
      expect(body.webhooks[name]).toBeUndefined();
    });

    it("reads the catalogue at most once per 10 s per isolate however often the public document is asked for", async () => {
      let catalogueReads = 0;
      const counted = new Proxy(env.DB, {
        get(target, property) {
          if (property !== "prepare") return Reflect.get(target, property);
          return (sql: string) => {
            if (/FROM event_types/i.test(sql)) catalogueReads++;
            return target.prepare(sql);
          };
        },
      });
      const app = buildApp();
      const documentFor = () => app.fetch(new Request("https://edgehook.test/openapi.json"), { ...env, DB: counted });

      for (let i = 0; i < 5; i++) expect((await documentFor()).status).toBe(200);

      expect(catalogueReads).toBeLessThanOrEqual(1);
    });
  });
});

describe("kind: a catalogue read that was in flight during an edit", () => {
  it("does not keep the catalogue from before the edit: the next read on this isolate shows the edit", async () => {
    const name = `inflight${Date.now()}.created`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // A database whose reads answer only once released, so the edit lands while this one is in flight.
    const slowDb = {
      prepare: (sql: string) => ({
        bind: (...params: unknown[]) => ({
          all: async () => {
            const result = await env.DB.prepare(sql).bind(...params).all();
            await held;
            return result;
          },
        }),
      }),
    } as unknown as D1Database;
    // A clock past any entry earlier tests left, so this call reads.
    const inFlight = wholeCatalogue({ ...env, DB: slowDb }, Date.now() + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await apiJson("POST", "/v1/event-types", { body: { name, description: "made during a read" } })).status).toBe(201);
    release();
    await inFlight;

    expect((await wholeCatalogue(env)).map((type) => type.name)).toContain(name);
  });
});
