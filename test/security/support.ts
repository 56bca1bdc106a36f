import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { buildRequest, receiverUrl, type RequestOptions } from "../support/api";
import { allShards } from "../support/shards";

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
export async function callWorker(workerEnv: Env, method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const request = buildRequest(method, path, options) as Parameters<typeof worker.fetch>[0];
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

/** Everything D1 holds for a tenant, row by row (shard tables from every shard), to compare before and after a request. */
export async function tenantRows(tenantId: string) {
  const control = async (sql: string) => (await env.DB.prepare(sql).bind(tenantId).all()).results;
  const rows = async (sql: string) => (await Promise.all(allShards().map(async (db) => (await db.prepare(sql).bind(tenantId).all()).results))).flat();
  return {
    endpoints: await rows("SELECT * FROM endpoints WHERE tenant_id = ? ORDER BY id"),
    messages: await rows("SELECT * FROM messages WHERE tenant_id = ? ORDER BY id"),
    deliveries: await rows("SELECT * FROM deliveries WHERE tenant_id = ? ORDER BY id"),
    apiKeys: await control("SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY id"),
    idempotencyKeys: await rows("SELECT * FROM idempotency_keys WHERE tenant_id = ? ORDER BY key"),
  };
}
