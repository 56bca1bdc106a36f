import { z, type OpenAPIHono } from "@hono/zod-openapi";
import packageJson from "../package.json";
import type { AppEnv } from "./app-env";
import { docsPage, type ReferenceDocument } from "./docs/page";
import { addCatalogueWebhooks } from "./openapi-catalogue";
import { wholeCatalogue } from "./ops/event-types";
import { DeliveryExhaustedEvent, EndpointDisabledEvent, EndpointEnabledEvent, EndpointFailingEvent } from "./schemas/operational";

/**
 * The OpenAPI 3.1 document at `/openapi.json`, and the reference page rendered from it at `/docs`: info (with the license), the calling relay as the
 * server, the bearer scheme, and the `webhooks` a receiver gets: one entry per signature scheme, one
 * per operational event, and one per event type of the catalogue (src/openapi-catalogue.ts; read through the per-isolate cache of src/ops/event-types.ts).
 * Operations describe themselves in src/routes/*; their `operationId`s are verb-noun and stable,
 * since generated SDKs name their methods after them.
 */
export function describeApi(app: OpenAPIHono<AppEnv>): void {
  app.get("/openapi.json", async (c) => c.json(await servedDocument(app, c.env, new URL(c.req.url).origin)));
  app.get("/docs", async (c) => docsPage(c, (await servedDocument(app, c.env, new URL(c.req.url).origin)) as ReferenceDocument));
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  registerReceiverWebhooks(app);
  registerOperationalWebhooks(app);
}

/** The document as served to a caller that reached the relay at `origin`, the catalogue's event types included when it can be read. */
async function servedDocument(app: OpenAPIHono<AppEnv>, env: Env, origin: string) {
  const document = app.getOpenAPI31Document(documentConfig(origin));
  try {
    addCatalogueWebhooks(document, await wholeCatalogue(env));
  } catch (error) {
    // The API reference stays readable when the catalogue is not (an unmigrated local database, D1 down).
    console.warn(`/openapi.json: the event-type catalogue could not be read, so it is left out: ${(error as Error).message}`);
  }
  return document;
}

/** OpenAPI 3.1's SPDX `identifier`, which the generator's (3.0) config type does not know of. */
const LICENSE = { name: "MIT", identifier: "MIT" };

/** The document's own parts: info (with the license), `origin` as the server, the bearer scheme. */
function documentConfig(origin: string): Parameters<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>[0] {
  return {
    openapi: "3.1.0",
    info: {
      title: "Edgehook",
      // One version number for the package, the CLI and the API it describes.
      version: packageJson.version,
      license: LICENSE,
      description:
        "Webhook relay on Cloudflare Workers. Authenticate with `Authorization: Bearer <admin token | tenant API key>`. " +
        "Requests with a tenant API key are rate limited per tenant: 429 `rate_limited` with `Retry-After`. " +
        "Any request may answer 503 `temporarily_unavailable` with `Retry-After` while storage is briefly unavailable; send it again. " +
        "The `webhooks` section describes the requests the relay sends to receivers: one entry per signature scheme, then the operational events " +
        "(`endpoint.disabled`, `endpoint.enabled`, `endpoint.failing`, `delivery.exhausted`) that operational endpoints and subscribed tenant endpoints get, " +
        "then one per event type of the catalogue (`/v1/event-types`) with its payload schema.",
    },
    // The relay that served the document: the same document is right for every deployment.
    servers: [{ url: origin, description: "This relay" }],
    security: [{ bearer: [] }],
  };
}

/** Any JSON value: a delivery's body is the enqueued `payload`, byte for byte. */
const Payload = z.unknown().openapi("WebhookPayload", {
  description: "Exactly the JSON text of the enqueued `payload` (every number, escape and key order as the platform sent it)",
  example: { document_id: "doc_123", total: 42.5 },
});

const deliveryHeaders = {
  "webhook-id": z.string().openapi({ description: "The message id, the same on every retry and replay: deduplicate on it", example: "11eeee1b-71dc-4e78-ad61-3e53975d88c1" }),
  "webhook-timestamp": z.string().regex(/^\d+$/).openapi({ description: "When this attempt was signed, in unix seconds", example: "1795453069" }),
  "user-agent": z.string().openapi({ example: "Edgehook/1.0" }),
};

const receiverResponses = {
  200: { description: "Any 2xx is success; the delivery is done" },
  default: { description: "Anything else (or a timeout, a network error, a redirect) is a failed attempt, retried on the endpoint's schedule; 410 Gone stops retrying" },
};

/** One scheme's delivery as a webhook of the document: what differs between schemes is named, the rest is shared. */
function registerDelivery(
  app: OpenAPIHono<AppEnv>,
  delivery: { scheme: string; operationId: string; summary: string; description?: string; headers: Record<string, z.ZodType> },
): void {
  app.openAPIRegistry.registerWebhook({
    method: "post",
    path: `delivery-${delivery.scheme}`,
    operationId: delivery.operationId,
    tags: ["Webhooks"],
    summary: delivery.summary,
    ...(delivery.description ? { description: delivery.description } : {}),
    request: {
      headers: z.object({ ...deliveryHeaders, ...delivery.headers }),
      body: { required: true, content: { "application/json": { schema: Payload } } },
    },
    // Receivers authenticate the relay by its signature, not by the API's bearer token.
    security: [],
    responses: receiverResponses,
  });
}

function registerReceiverWebhooks(app: OpenAPIHono<AppEnv>): void {
  registerDelivery(app, {
    scheme: "standard",
    operationId: "receiveStandardDelivery",
    summary: "A delivery to an endpoint with the `standard` signature scheme (Standard Webhooks, the default)",
    headers: {
      "webhook-signature": z.string().openapi({
        description:
          'Space-separated `v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>`, key = the base64-decoded part of `whsec_…`; ' +
          "one signature per valid secret during a rotation's grace period",
        example: "v1,hk/Rdj99IV9K4j6/EkceoATPRIUDnUMmtVZE6rYlv34=",
      }),
    },
  });
  registerDelivery(app, {
    scheme: "hmac-sha256",
    operationId: "receiveHmacSha256Delivery",
    summary: "A delivery to an endpoint with the `hmac-sha256` signature scheme (GitHub / Mindee style)",
    description:
      "The signature travels in the endpoint's `signature.header` (default `X-Webhook-Signature`): `signature.prefix` (default empty) + " +
      "lowercase hex HMAC-SHA256 of the body, keyed with the UTF-8 bytes of the whole secret string, made with the current secret only.",
    headers: {
      "x-webhook-signature": z.string().openapi({ description: "The default signature header; the endpoint may name another and add a prefix such as `sha256=`", example: "sha256=0c1b3f0e6f1d0f6c7b3a0a9f5e2d8c4b1a7e6d5c4b3a291807f6e5d4c3b2a190" }),
      "webhook-previous-signatures": z.string().optional().openapi({
        description: "During a rotation's grace period only: the signatures made with the older secrets, in the same form, separated by `, `, newest first",
      }),
    },
  });
  registerDelivery(app, {
    scheme: "ed25519",
    operationId: "receiveEd25519Delivery",
    summary: "A delivery to an endpoint with the `ed25519` signature scheme (Standard Webhooks `v1a`, asymmetric)",
    description:
      "Signed with the endpoint's Ed25519 private key, which only the relay holds. Verify with the endpoint's `public_key` " +
      "(`whpk_` + base64 of the 32 raw public-key bytes; also in `GET …/endpoints/{id}/secret`): a receiver that can verify cannot sign.",
    headers: {
      "webhook-signature": z.string().openapi({
        description:
          'Space-separated `v1a,<base64 Ed25519 signature of "{webhook-id}.{webhook-timestamp}.{body}">`, one per valid key during a rotation\'s ' +
          "grace period (after a switch from the `standard` scheme, the old secret's `v1,…` HMAC signature travels alongside until it expires)",
        example: "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==",
      }),
    },
  });
}

/** The operational events, one webhook each: the body is the event, signed like any delivery (the endpoint's scheme). */
function registerOperationalWebhooks(app: OpenAPIHono<AppEnv>): void {
  const events = [
    ["endpoint.disabled", "receiveEndpointDisabledEvent", "An endpoint was disabled: automatically after failing, on a 410 Gone, or by hand", EndpointDisabledEvent],
    ["endpoint.enabled", "receiveEndpointEnabledEvent", "An endpoint was enabled again by hand", EndpointEnabledEvent],
    ["endpoint.failing", "receiveEndpointFailingEvent", "An endpoint's first failed attempt since its last success (once per failure streak)", EndpointFailingEvent],
    ["delivery.exhausted", "receiveDeliveryExhaustedEvent", "A delivery failed on its last attempt (or for good) and is now failed", DeliveryExhaustedEvent],
  ] as const;
  for (const [type, operationId, summary, schema] of events) {
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      operationId,
      tags: ["Operational events"],
      summary,
      description:
        "Sent to operational endpoints (`/v1/operational-endpoints`) whose `events` match, and to a tenant's own endpoints whose `events` name " +
        "the type (exactly or by a pattern such as `endpoint.*`, never through `*`). Signed and retried like any delivery; the message's `source` is `_edgehook`.",
      request: {
        headers: z.object({ ...deliveryHeaders }),
        body: { required: true, content: { "application/json": { schema } } },
      },
      security: [],
      responses: receiverResponses,
    });
  }
}
