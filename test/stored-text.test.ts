import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { apiJson, newEndpoint, newTenant } from "./support/api";
import { tenantRows } from "./security/support";

// JSON can carry a lone UTF-16 surrogate ("\ud800"); D1 stores UTF-8, which cannot. A JS string
// holding one is sent by the api helper as that escape (JSON.stringify keeps it).
const LONE_HIGH = "\ud800";
const LONE_LOW = "\udc00";

interface Case {
  request: string;
  field: string;
  method: "POST" | "PATCH";
  path: (tenant: string, endpoint: string) => string;
  body: Record<string, unknown>;
}

const endpoints = (t: string) => `/v1/tenants/${t}/endpoints`;
const createEndpoint = (field: string, extra: Record<string, unknown>): Case => ({
  request: "creating an endpoint",
  field,
  method: "POST",
  path: endpoints,
  body: { url: "https://e.com/hook", ...extra },
});
const updateEndpoint = (field: string, extra: Record<string, unknown>): Case => ({
  request: "changing an endpoint",
  field,
  method: "PATCH",
  path: (t, e) => `${endpoints(t)}/${e}`,
  body: extra,
});
const enqueue = (field: string, extra: Record<string, unknown>): Case => ({
  request: "enqueueing",
  field,
  method: "POST",
  path: (t) => `/v1/tenants/${t}/messages`,
  body: { event: "x", payload: { ok: true }, ...extra },
});

const CASES: Case[] = [
  createEndpoint("name", { name: `Invoices ${LONE_HIGH}` }),
  createEndpoint("description", { description: `${LONE_LOW} at the start` }),
  createEndpoint("url", { url: `https://e.com/${LONE_HIGH}` }),
  createEndpoint("events.0", { events: [`document${LONE_HIGH}`] }),
  createEndpoint("source", { source: `model${LONE_LOW}` }),
  createEndpoint("headers.X-Team", { headers: { "X-Team": `a${LONE_HIGH}` } }),
  createEndpoint("signature.prefix", { signature: { scheme: "hmac-sha256", prefix: `${LONE_HIGH}=` } }),
  updateEndpoint("name", { name: `${LONE_HIGH}${LONE_HIGH}` }),
  updateEndpoint("description", { description: `tail ${LONE_LOW}` }),
  updateEndpoint("url", { url: `https://e.com/?q=${LONE_LOW}` }),
  enqueue("event", { event: `order${LONE_HIGH}` }),
  enqueue("source", { source: `s${LONE_HIGH}` }),
  enqueue("webhook_url", { webhook_url: `https://e.com/${LONE_LOW}` }),
  { request: "creating an API key", field: "name", method: "POST", path: (t) => `/v1/tenants/${t}/api-keys`, body: { name: `ci ${LONE_HIGH}` } },
];

describe("user-given text with a lone UTF-16 surrogate", () => {
  it.each(CASES.map((c) => [`${c.request}, in ${c.field}`, c] as const))("%s, is a 400 naming the field and nothing changes", async (_name, c) => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://e.com/existing", name: "existing" });
    const before = await tenantRows(id);
    const res = await apiJson(c.method, c.path(id, endpoint.id), { body: c.body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(c.field);
    expect(await tenantRows(id)).toEqual(before);
  });

  it("in a tenant name is a 400 naming the field, and no tenant is created", async () => {
    const marker = crypto.randomUUID();
    const res = await apiJson("POST", "/v1/tenants", { body: { name: `${marker} ${LONE_HIGH}` } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([expect.objectContaining({ path: "name", message: expect.stringContaining("lone UTF-16 surrogate") })]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tenants WHERE name LIKE ?").bind(`${marker}%`).first("n")).toBe(0);
  });

  it("a proper surrogate pair (an emoji) in a name or description is stored and returned as sent", async () => {
    const { id } = await newTenant();
    const created = await apiJson("POST", endpoints(id), { body: { url: "https://e.com/hook", name: "Deploys 🚀", description: "𝄞 ok" } });
    expect(created.status).toBe(201);
    const read = await apiJson("GET", `${endpoints(id)}/${created.body.id}`);
    expect(read.body).toMatchObject({ name: "Deploys 🚀", description: "𝄞 ok" });
  });
});

/** JSON text `before` + a byte that is never UTF-8 (0xFF) + `after`: bad bytes inside a string value. */
function notUtf8(before: string, after: string): Uint8Array {
  const encode = (text: string) => [...new TextEncoder().encode(text)];
  return new Uint8Array([...encode(before), 0xff, ...encode(after)]);
}

describe("user-given text that is not valid UTF-8", () => {
  const cases: Array<[request: string, method: "POST" | "PATCH", path: (t: string, e: string) => string, body: Uint8Array]> = [
    ["creating a tenant", "POST", () => "/v1/tenants", notUtf8('{"name":"Acme ', '"}')],
    ["creating an endpoint", "POST", endpoints, notUtf8('{"url":"https://e.com/hook","name":"Invoices ', '"}')],
    ["changing an endpoint", "PATCH", (t, e) => `${endpoints(t)}/${e}`, notUtf8('{"description":"tail ', '"}')],
    ["creating an API key", "POST", (t) => `/v1/tenants/${t}/api-keys`, notUtf8('{"name":"ci ', '"}')],
  ];

  it.each(cases)("%s is a 400 invalid_json and nothing changes, rather than stored with U+FFFD in its place", async (_name, method, path, bytes) => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://e.com/existing", name: "existing" });
    const before = await tenantRows(id);
    const tenantsBefore = await env.DB.prepare("SELECT count(*) AS n FROM tenants").first("n");
    const res = await apiJson(method, path(id, endpoint.id), { rawBody: bytes });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_json");
    expect(await tenantRows(id)).toEqual(before);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tenants").first("n")).toBe(tenantsBefore);
  });
});
