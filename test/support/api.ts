import { exports } from "cloudflare:workers";
import { inject, vi } from "vitest";
import type { ReceivedRequest } from "./receiver";

export const ADMIN = "test-admin-token";

/** How a test request is sent: bearer token (admin unless given; null for none), JSON or raw body, headers. */
export type RequestOptions = { token?: string | null; body?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string> };

/** Builds the HTTP request a client would send to Edgehook. */
export function buildRequest(method: string, path: string, options: RequestOptions = {}): Request {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? ADMIN : options.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  let body: string | Uint8Array | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers.set("content-type", "application/json");
  } else if (body !== undefined && !headers.has("content-type")) {
    headers.set("content-type", "application/json");
  }
  return new Request(`https://edgehook.test${path}`, { method, headers, body });
}

/** Calls the Worker's own fetch handler, as a client would over HTTP. */
export async function api(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  return exports.default.fetch(buildRequest(method, path, options));
}

/** Calls the API and returns the parsed JSON body with the status. */
export async function apiJson<T = any>(method: string, path: string, options: Parameters<typeof api>[2] = {}) {
  const res = await api(method, path, options);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

/** A fresh tenant (random id) and, when asked, an API key for it. */
export async function newTenant(): Promise<{ id: string; key: string }> {
  const tenant = await apiJson("POST", "/v1/tenants", { body: { name: "Test tenant" } });
  if (tenant.status !== 201) throw new Error(`tenant: ${tenant.status} ${JSON.stringify(tenant.body)}`);
  const key = await apiJson("POST", `/v1/tenants/${tenant.body.id}/api-keys`, { body: { name: "test" } });
  return { id: tenant.body.id, key: key.body.key };
}

/** Creates an endpoint for a tenant and returns the 201 body (with its secret). */
export async function newEndpoint(tenantId: string, body: Record<string, unknown>) {
  const res = await apiJson("POST", `/v1/tenants/${tenantId}/endpoints`, { body });
  if (res.status !== 201) throw new Error(`endpoint: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Base URL of the real test receiver on 127.0.0.1. */
export function receiverUrl(): string {
  return inject("receiverUrl");
}

/** A bucket name unique to this call, so tests never see each other's requests. */
export function bucket(): string {
  return crypto.randomUUID().slice(0, 8);
}

/** What the receiver has recorded for a bucket. */
export async function received(name: string): Promise<ReceivedRequest[]> {
  const res = await fetch(`${receiverUrl()}/_received/${name}`);
  return res.json();
}

/** Answers every request the receiver holds in a `/hold/{n}/{bucket}` bucket with `status`. */
export async function release(name: string, status = 200): Promise<void> {
  await fetch(`${receiverUrl()}/_release/${name}/${status}`);
}

/** Waits until the receiver has recorded `count` requests in a bucket, and returns them. */
export function requestsArrived(name: string, count: number): Promise<ReceivedRequest[]> {
  return eventually(async () => {
    const requests = await received(name);
    return requests.length >= count && requests;
  });
}

/** Polls until `check` returns a value that is not undefined/false. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeout = 20_000): Promise<T> {
  return vi.waitUntil(async () => (await check()) || undefined, { timeout, interval: 100 }) as Promise<T>;
}

/** Lets the clock move on, so rows written next get a later created_at (lists order by it). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 3));
}
