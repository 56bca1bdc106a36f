import { createExecutionContext, createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { ADMIN, receiverUrl } from "../support/api";

/** A queue binding that records what would have been sent instead of sending it. */
export interface CapturingQueue {
  queue: Queue;
  sent: unknown[];
}

/** A stand-in for the DELIVERIES queue: every body sent is kept in `sent`, nothing is delivered. */
export function capturingQueue(): CapturingQueue {
  const sent: unknown[] = [];
  const queue = {
    send: async (body: unknown) => void sent.push(body),
    sendBatch: async (messages: Iterable<{ body: unknown }>) => {
      for (const m of messages) sent.push(m.body);
    },
  } as unknown as Queue;
  return { queue, sent };
}

/** URL of the fake DNS-over-HTTPS server on the test receiver (see test/support/fake-doh.ts). */
export function fakeDohUrl(): string {
  return `${receiverUrl()}/dns-query`;
}

/**
 * The Worker's env as production configures the target guard (private targets refused, https
 * required, hostnames resolved through the fake DoH server), with any other overrides.
 */
export function productionEnv(overrides: Partial<Record<keyof Env, unknown>> = {}): Env {
  return { ...env, ALLOW_PRIVATE_TARGETS: "false", REQUIRE_HTTPS: "true", DOH_URL: fakeDohUrl(), ...overrides } as Env;
}

/** What a client sees of one response: status, headers and the parsed JSON body (or null). */
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Calls the Worker's fetch handler with the given env, as a client would over HTTP. */
export async function callWorker(
  workerEnv: Env,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? ADMIN : options.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  let body = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers.set("content-type", "application/json");
  } else if (body !== undefined && !headers.has("content-type")) {
    headers.set("content-type", "application/json");
  }
  const request = new Request(`https://edgehook.test${path}`, { method, headers, body });
  const response = await worker.fetch(request, workerEnv, createExecutionContext());
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Runs the delivery queue consumer over the given task bodies with the given env, as Queues would. */
export async function runConsumer(workerEnv: Env, bodies: unknown[]): Promise<void> {
  const batch = createMessageBatch(
    "edgehook-deliveries",
    bodies.map((body, i) => ({ id: `test-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })),
  );
  await worker.queue(batch, workerEnv);
}

/** Everything D1 holds for a tenant, row by row, to compare before and after a request. */
export async function tenantRows(tenantId: string) {
  const rows = async (sql: string) => (await env.DB.prepare(sql).bind(tenantId).all()).results;
  return {
    endpoints: await rows("SELECT * FROM endpoints WHERE tenant_id = ? ORDER BY id"),
    messages: await rows("SELECT * FROM messages WHERE tenant_id = ? ORDER BY id"),
    deliveries: await rows("SELECT * FROM deliveries WHERE tenant_id = ? ORDER BY id"),
    attempts: await rows("SELECT a.* FROM attempts AS a JOIN deliveries AS d ON d.id = a.delivery_id WHERE d.tenant_id = ? ORDER BY a.id"),
    apiKeys: await rows("SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY id"),
    idempotencyKeys: await rows("SELECT * FROM idempotency_keys WHERE tenant_id = ? ORDER BY key"),
  };
}
