import createFetchClient, { type Client } from "openapi-fetch";
import type { components, operations, paths } from "./api-types.ts";
import { EdgehookError, errorFromResponse } from "./errors.ts";
import { retryAfterSeconds, type RetryOptions } from "./retry.ts";
import { createTransport, type Fetch } from "./transport.ts";

/** The API's schema `Name` (a request or response body), as the relay's /openapi.json describes it. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

type Query<Operation extends keyof operations> = NonNullable<operations[Operation]["parameters"]["query"]>;

export interface ClientOptions {
  /** The relay's base URL, e.g. `http://localhost:8787` or `https://hooks.example.com`. */
  baseUrl: string;
  /** A tenant API key (it acts in its own tenant only), or the admin token. */
  apiKey: string;
  /** The fetch to send requests with (a service binding's, a test server's); default the global one. */
  fetch?: Fetch;
  /** Longest wait for one attempt's complete answer, in ms; each retry has its own. Default 30000. */
  timeoutMs?: number;
  /** Retries of 429, 503 and unanswered calls; `{ retries: 0 }` turns them off. */
  retry?: RetryOptions;
}

/** Options of a call that enqueues. */
export interface SendOptions {
  /**
   * At most one enqueue per key within 24 h: a repeat answers with the first response. When absent
   * the client makes one per call, the same on each of its retries.
   */
  idempotencyKey?: string;
}

/** A call's result, as openapi-fetch gives it. */
type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of a successful call; an EdgehookError for an error status. */
async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new EdgehookError({ status: 200, code: "not_json", message: "The relay answered with a body that is not JSON", cause: error });
  }
  const { response } = result;
  if (!response.ok) throw errorFromResponse(response.status, result.error, retryAfterSeconds(response.headers.get("retry-after"), Date.now()));
  return result.data as T;
}

/** Creates a client of one relay; see ClientOptions. Every method throws EdgehookError on failure. */
export function createClient(options: ClientOptions) {
  const transport = createTransport(options);
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  /** The API by its typed paths, for routes without a method below: answers `{ data, error, response }` and does not throw for error statuses. */
  const api: Client<paths> = createFetchClient<paths>({ baseUrl, fetch: transport });
  const tenant = (tenant_id: string) => ({ path: { tenant_id } });

  return {
    api,

    /**
     * Sends `init` to `path` (under the base URL) with the client's credentials, timeout and retries,
     * for callers that need the body as it came (a payload's exact JSON text).
     * @throws EdgehookError for an error status, or when there is no answer
     */
    async fetch(path: string, init: RequestInit = {}): Promise<Response> {
      const response = await transport(new Request(baseUrl + path, init));
      if (response.ok) return response;
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not the API's error shape: errorFromResponse says `http_error`
      }
      throw errorFromResponse(response.status, body, retryAfterSeconds(response.headers.get("retry-after"), Date.now()));
    },

    /** Who the API key is: `{ role: "admin" }` or `{ role: "tenant", tenant_id }`. */
    me: () => unwrap(api.GET("/v1/me")),

    messages: {
      /** Enqueues one message (202): its id and one delivery per matching endpoint. */
      send: (tenantId: string, message: Schema<"EnqueueMessage">, { idempotencyKey }: SendOptions = {}) =>
        unwrap(api.POST("/v1/tenants/{tenant_id}/messages", { params: { ...tenant(tenantId), header: headerOf(idempotencyKey) }, body: message })),
      /** Enqueues 1–100 messages at once, all or none (202): one send's answer per message, in order. */
      sendBatch: (tenantId: string, messages: Schema<"BatchMessage">[], { idempotencyKey }: SendOptions = {}) =>
        unwrap(api.POST("/v1/tenants/{tenant_id}/messages/batch", { params: { ...tenant(tenantId), header: headerOf(idempotencyKey) }, body: { messages } })),
      /** The message, its payload and each delivery's state: what polling reads. */
      get: (tenantId: string, messageId: string) =>
        unwrap(api.GET("/v1/tenants/{tenant_id}/messages/{message_id}", { params: { path: { tenant_id: tenantId, message_id: messageId } } })),
      /** A page of messages, newest first; pass `next_cursor` back as `cursor` for the next. */
      list: (tenantId: string, query: Query<"listMessages"> = {}) =>
        unwrap(api.GET("/v1/tenants/{tenant_id}/messages", { params: { ...tenant(tenantId), query } })),
      /** Cancels the deliveries not attempted yet; answers the message as it now is. */
      cancel: (tenantId: string, messageId: string) =>
        unwrap(api.POST("/v1/tenants/{tenant_id}/messages/{message_id}/cancel", { params: { path: { tenant_id: tenantId, message_id: messageId } } })),
    },

    endpoints: {
      /** Registers an endpoint (201); the answer carries its signing secret, this once. */
      create: (tenantId: string, endpoint: Schema<"CreateEndpoint">) =>
        unwrap(api.POST("/v1/tenants/{tenant_id}/endpoints", { params: tenant(tenantId), body: endpoint })),
      list: (tenantId: string, query: Query<"listEndpoints"> = {}) =>
        unwrap(api.GET("/v1/tenants/{tenant_id}/endpoints", { params: { ...tenant(tenantId), query } })),
      get: (tenantId: string, endpointId: string) =>
        unwrap(api.GET("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", { params: { path: { tenant_id: tenantId, endpoint_id: endpointId } } })),
      /** Changes the fields given and leaves the others. */
      update: (tenantId: string, endpointId: string, changes: Schema<"UpdateEndpoint">) =>
        unwrap(api.PATCH("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", { params: { path: { tenant_id: tenantId, endpoint_id: endpointId } }, body: changes })),
      /** Deletes the endpoint; its id is not found from then on. */
      delete: async (tenantId: string, endpointId: string): Promise<void> => {
        await unwrap(api.DELETE("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", { params: { path: { tenant_id: tenantId, endpoint_id: endpointId } } }));
      },
      /** The current signing secret (and public key, for ed25519) and the earlier ones still co-signing. */
      secret: (tenantId: string, endpointId: string) =>
        unwrap(api.GET("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/secret", { params: { path: { tenant_id: tenantId, endpoint_id: endpointId } } })),
      /** Switches to a new secret; the old one keeps co-signing for `grace_period_seconds` (default 86400). */
      rotateSecret: (tenantId: string, endpointId: string, rotation: Schema<"RotateSecret"> = {}) =>
        unwrap(api.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/secret/rotate", { params: { path: { tenant_id: tenantId, endpoint_id: endpointId } }, body: rotation })),
      /** Attempts by outcome, success rate, p50/p95 latency (ms) and a series over `window` (default 24h). */
      stats: (tenantId: string, endpointId: string, window?: "1h" | "24h" | "7d") =>
        unwrap(api.GET("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/stats", { params: { path: { tenant_id: tenantId, endpoint_id: endpointId }, query: { window } } })),
      /** Sends a `webhook.test` message to this endpoint alone (202). */
      test: (tenantId: string, endpointId: string) =>
        unwrap(api.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test", { params: { path: { tenant_id: tenantId, endpoint_id: endpointId } } })),
    },

    deliveries: {
      /** A page of deliveries, newest first, filtered by endpoint, message, status or creation time. */
      list: (tenantId: string, query: Query<"listDeliveries"> = {}) =>
        unwrap(api.GET("/v1/tenants/{tenant_id}/deliveries", { params: { ...tenant(tenantId), query } })),
      /** One delivery with every attempt. */
      get: (tenantId: string, deliveryId: string) =>
        unwrap(api.GET("/v1/tenants/{tenant_id}/deliveries/{delivery_id}", { params: { path: { tenant_id: tenantId, delivery_id: deliveryId } } })),
      /** Replays the delivery now, whatever its state, with a fresh attempt budget (202). */
      replay: (tenantId: string, deliveryId: string) =>
        unwrap(api.POST("/v1/tenants/{tenant_id}/deliveries/{delivery_id}/retry", { params: { path: { tenant_id: tenantId, delivery_id: deliveryId } } })),
    },
  };
}

/** A client of one relay, as createClient makes it. */
export type EdgehookClient = ReturnType<typeof createClient>;

function headerOf(idempotencyKey: string | undefined): { "idempotency-key"?: string } {
  return idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey };
}
