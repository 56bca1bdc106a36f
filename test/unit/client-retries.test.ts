import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClient, EdgehookError, type ClientOptions } from "../../packages/client/src/index.ts";
import { freePort } from "../../scripts/local-relay.ts";

// @edgehook/client against a real HTTP server on 127.0.0.1 that answers each request with the next
// scripted answer and records what it got: what a relay that is busy, slow or gone looks like.

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Answer = (res: ServerResponse) => void;

const TENANT = "acme";
const MESSAGE = { event: "invoice.paid", payload: { id: 42 } };
const ENQUEUED = { id: "msg_1", event: "invoice.paid", source: null, created_at: "2026-12-07T16:00:00Z", deliveries: [] };

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => (res) => {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
};
const busy = (retryAfter = "0") => json(503, { error: { code: "storage_unavailable", message: "Try again shortly" } }, { "retry-after": retryAfter });
/** Never answers: the client's timeout has to end the attempt. */
const silent: Answer = () => {};
/** Closes the connection without an answer: a network error for the client. */
const hangUp: Answer = (res) => res.socket?.destroy();

let server: Server;
let baseUrl: string;
let answers: Answer[];
let received: Received[];

beforeEach(async () => {
  answers = [];
  received = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      (answers.shift() ?? json(500, { error: { code: "unscripted", message: "no answer scripted" } }))(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A client of the test server with retries that wait 1 ms unless the relay asks for longer. */
const client = (options: Partial<ClientOptions> = {}) =>
  createClient({ baseUrl, apiKey: "ek_test", timeoutMs: 2_000, ...options, retry: { baseDelayMs: 1, ...options.retry } });

/** The error a call rejects with. */
async function failure(call: Promise<unknown>): Promise<EdgehookError> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(EdgehookError);
  return error as EdgehookError;
}

describe("errors", () => {
  it("throws an EdgehookError with the status, code and message of the API's error shape", async () => {
    answers.push(json(404, { error: { code: "not_found", message: "No such message" } }));
    const error = await failure(client().messages.get(TENANT, "msg_x"));
    expect({ status: error.status, code: error.code, message: error.message, issues: error.issues }).toEqual({
      status: 404,
      code: "not_found",
      message: "No such message",
      issues: [],
    });
  });

  it("carries each issue of a rejected request with its path", async () => {
    const issues = [{ path: "messages.1.event", message: "Required" }];
    answers.push(json(400, { error: { code: "validation_failed", message: "The request body is invalid", issues } }));
    const error = await failure(client().messages.sendBatch(TENANT, [MESSAGE, MESSAGE]));
    expect(error.issues).toEqual(issues);
    expect(error.toJSON()).toEqual({ error: { code: "validation_failed", message: "The request body is invalid", issues } });
  });

  it("names an error status whose body is not the API's error shape http_error", async () => {
    answers.push((res) => res.writeHead(502, { "content-type": "text/html" }).end("<h1>Bad gateway</h1>"));
    const error = await failure(client().endpoints.list(TENANT));
    expect([error.status, error.code]).toEqual([502, "http_error"]);
  });

  it("names a relay that cannot be reached network_error, with status 0", async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const error = await failure(createClient({ baseUrl: nobody, apiKey: "ek_test", retry: { retries: 0 } }).me());
    expect([error.status, error.code]).toEqual([0, "network_error"]);
    expect(error.message).toContain(`Cannot reach the relay at ${nobody}`);
  });

  it("names an attempt that gets no answer within timeoutMs timeout, with status 0", async () => {
    answers.push(silent);
    const error = await failure(client({ timeoutMs: 100, retry: { retries: 0 } }).deliveries.get(TENANT, "dlv_1"));
    expect([error.status, error.code]).toEqual([0, "timeout"]);
  });

  it("names an answer whose body stops coming within timeoutMs timeout, though its status came in time", async () => {
    answers.push((res) => res.writeHead(200, { "content-type": "application/json" }).write('{"data": ['));
    const error = await failure(client({ timeoutMs: 100, retry: { retries: 0 } }).deliveries.list(TENANT));
    expect([error.status, error.code]).toEqual([0, "timeout"]);
  });
});

describe("retries", () => {
  it("retries a 503 and resolves with the answer that follows", async () => {
    answers.push(busy(), json(202, ENQUEUED));
    expect(await client().messages.send(TENANT, MESSAGE)).toEqual(ENQUEUED);
    expect(received).toHaveLength(2);
  });

  it("retries a 429 as it retries a 503", async () => {
    answers.push(json(429, { error: { code: "rate_limited", message: "Slow down" } }, { "retry-after": "0" }), json(200, { data: [], next_cursor: null }));
    expect(await client().deliveries.list(TENANT)).toEqual({ data: [], next_cursor: null });
    expect(received).toHaveLength(2);
  });

  it("waits as long as Retry-After asks before retrying", async () => {
    answers.push(busy("1"), json(200, { role: "admin" }));
    const asked = Date.now();
    await client().me();
    expect(Date.now() - asked).toBeGreaterThanOrEqual(1_000);
  });

  it("fails at once when Retry-After asks for longer than maxDelayMs, saying how long it asked", async () => {
    answers.push(busy("3600"));
    const error = await failure(client({ retry: { maxDelayMs: 5_000 } }).me());
    expect([error.status, error.retryAfterSeconds]).toEqual([503, 3600]);
    expect(received).toHaveLength(1);
  });

  it("gives up after `retries` retries with the relay's last error", async () => {
    answers.push(busy(), busy(), busy(), busy());
    const error = await failure(client({ retry: { retries: 2 } }).messages.list(TENANT));
    expect([error.status, error.code]).toEqual([503, "storage_unavailable"]);
    expect(received).toHaveLength(3);
  });

  it("does not retry an error a retry cannot mend (500, 400, 404)", async () => {
    answers.push(json(500, { error: { code: "internal_error", message: "Something went wrong" } }));
    expect((await failure(client().me())).status).toBe(500);
    expect(received).toHaveLength(1);
  });

  it("retries a read whose connection closed without an answer", async () => {
    answers.push(hangUp, json(200, { data: [], next_cursor: null }));
    expect(await client().endpoints.list(TENANT)).toEqual({ data: [], next_cursor: null });
    expect(received).toHaveLength(2);
  });

  it("stops waiting for a retry as soon as the caller's signal aborts, with the caller's reason", async () => {
    answers.push(busy("3600"), json(200, { role: "admin" }));
    const caller = new AbortController();
    const reason = new Error("the caller gave up");
    const call = client({ retry: { maxDelayMs: 7_200_000 } }).api.GET("/v1/me", { signal: caller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    caller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(received).toHaveLength(1);
  });

  it("does not resend a replay that got no answer: the relay may have replayed it already", async () => {
    answers.push(silent, json(202, {}));
    const error = await failure(client({ timeoutMs: 100 }).deliveries.replay(TENANT, "dlv_1"));
    expect(error.code).toBe("timeout");
    expect(received).toHaveLength(1);
  });

  it("does not resend a replay that got no answer even when the caller gave it an Idempotency-Key: only enqueues honour one", async () => {
    answers.push(silent, json(202, {}));
    const { api } = client({ timeoutMs: 100 });
    const call = api.POST("/v1/tenants/{tenant_id}/deliveries/{delivery_id}/retry", {
      params: { path: { tenant_id: TENANT, delivery_id: "dlv_1" } },
      headers: { "idempotency-key": "replay-dlv_1" },
    });
    await expect(call).rejects.toMatchObject({ code: "timeout" });
    expect(received).toHaveLength(1);
  });
});

describe("idempotency keys", () => {
  it("sends the same generated Idempotency-Key on every attempt of a send", async () => {
    answers.push(busy(), busy(), json(202, ENQUEUED));
    await client().messages.send(TENANT, MESSAGE);
    const keys = received.map((r) => r.headers["idempotency-key"]);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys).toEqual([keys[0], keys[0], keys[0]]);
  });

  it("gives each send its own generated key", async () => {
    answers.push(json(202, ENQUEUED), json(202, ENQUEUED));
    await client().messages.send(TENANT, MESSAGE);
    await client().messages.send(TENANT, MESSAGE);
    expect(received[0]!.headers["idempotency-key"]).not.toBe(received[1]!.headers["idempotency-key"]);
  });

  it("keeps the caller's Idempotency-Key across retries of a batch send", async () => {
    answers.push(busy(), json(202, { messages: [] }));
    await client().messages.sendBatch(TENANT, [MESSAGE], { idempotencyKey: "order-42" });
    expect(received.map((r) => r.headers["idempotency-key"])).toEqual(["order-42", "order-42"]);
  });

  it("resends a send whose answer never came, with the same key and the same body", async () => {
    answers.push(silent, json(202, ENQUEUED));
    expect(await client({ timeoutMs: 100 }).messages.send(TENANT, MESSAGE)).toEqual(ENQUEUED);
    expect(received).toHaveLength(2);
    expect(received[1]!.headers["idempotency-key"]).toBe(received[0]!.headers["idempotency-key"]);
    expect(received.map((r) => JSON.parse(r.body))).toEqual([MESSAGE, MESSAGE]);
  });

  it("sends no Idempotency-Key where the relay does not honour one (creating an endpoint)", async () => {
    answers.push(json(201, { id: "ep_1" }));
    await client().endpoints.create(TENANT, { url: "https://example.com/hooks" });
    expect(received[0]!.headers["idempotency-key"]).toBeUndefined();
  });
});

describe("requests", () => {
  it("sends the API key as a bearer token to the typed path, with the query", async () => {
    answers.push(json(200, { data: [], next_cursor: null }));
    await client().deliveries.list(TENANT, { status: "failed", limit: 10 });
    expect(received[0]).toMatchObject({
      method: "GET",
      url: "/v1/tenants/acme/deliveries?status=failed&limit=10",
      headers: { authorization: "Bearer ek_test" },
    });
  });

  it("sends through the fetch given in the options", async () => {
    const seen: string[] = [];
    answers.push(json(200, { role: "admin" }));
    await client({ fetch: (request) => (seen.push(request.url), fetch(request)) }).me();
    expect(seen).toEqual([`${baseUrl}/v1/me`]);
  });
});
