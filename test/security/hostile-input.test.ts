import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../src/limits";
import { newTenant, received } from "../support/api";
import { callWorker, productionEnv, tenantRows } from "./support";
import { holdingQueue, type HoldingQueue } from "../support/worker";

/**
 * The bad-input suite: hostile URLs, headers, payloads and ids against a relay configured as in
 * production (private targets refused, https required, hostnames resolved through DNS-over-HTTPS).
 * Every case asserts the exact status and error code, that D1 holds exactly what it held before
 * for the tenant, and that nothing was queued for sending or reached the receiver.
 */

interface Context {
  tenant: string;
  endpoint: string;
  otherTenant: string;
  otherEndpoint: string;
  bucket: string;
}

interface Case {
  name: string;
  request: (ctx: Context) => { method: string; path: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string };
  status: number;
  code: string;
}

const MAX_PAYLOAD_BYTES = Number(env.MAX_PAYLOAD_BYTES);
const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

const createEndpoint = (url: string, extra: Record<string, unknown> = {}) => (ctx: Context) => ({
  method: "POST",
  path: `/v1/tenants/${ctx.tenant}/endpoints`,
  body: { url, ...extra },
});
const createWithHeaders = (headers: Record<string, unknown>, extra: Record<string, unknown> = {}) => (ctx: Context) => ({
  method: "POST",
  path: `/v1/tenants/${ctx.tenant}/endpoints`,
  body: { url: `https://public-ok.example.com/ok/${ctx.bucket}`, headers, ...extra },
});
const enqueue = (body: Record<string, unknown>, headers?: Record<string, string>) => (ctx: Context) => ({
  method: "POST",
  path: `/v1/tenants/${ctx.tenant}/messages`,
  body: { event: "document.predicted", payload: { ok: true }, ...body },
  headers,
});
const enqueueRaw = (rawBody: string) => (ctx: Context) => ({ method: "POST", path: `/v1/tenants/${ctx.tenant}/messages`, rawBody });
const get = (path: (ctx: Context) => string) => (ctx: Context) => ({ method: "GET", path: path(ctx) });

const url = (status: number, code: string) => (name: string, target: string): Case => ({
  name: `endpoint url ${name}`,
  request: createEndpoint(target),
  status,
  code,
});
const privateUrl = url(400, "private_target");
const invalidUrl = url(400, "invalid_url");
const malformedUrl = url(400, "validation_failed");
const badHeaders = (name: string, headers: Record<string, unknown>, extra?: Record<string, unknown>): Case => ({
  name: `headers: ${name}`,
  request: createWithHeaders(headers, extra),
  status: 400,
  code: "validation_failed",
});
const badMessage = (name: string, body: Record<string, unknown>, status = 400, code = "validation_failed"): Case => ({
  name: `message: ${name}`,
  request: enqueue(body),
  status,
  code,
});

const cases: Case[] = [
  // Not a URL, or not a URL Edgehook may call at all.
  malformedUrl("that is not a URL", "not a url"),
  malformedUrl("that is relative", "/hooks"),
  malformedUrl("longer than 2048 characters", `https://public-long.example.com/${"a".repeat(2048)}`),
  malformedUrl("with an IPv6 zone id", "https://[fe80::1%25eth0]/"),
  invalidUrl("with the ftp scheme", "ftp://public-ftp.example.com/hook"),
  invalidUrl("with the javascript scheme", "javascript:alert(1)"),
  invalidUrl("with the file scheme", "file:///etc/passwd"),
  invalidUrl("with the data scheme", "data:text/plain,hello"),
  invalidUrl("with the gopher scheme", "gopher://127.0.0.1:6379/_FLUSHALL"),
  invalidUrl("with a user and password", "https://user:secret@public-creds.example.com/hook"),
  invalidUrl("with a user name only", "https://admin@public-creds.example.com/hook"),
  url(400, "insecure_url")("over plain http", "http://public-plain.example.com/hook"),
  url(400, "blocked_port")("on the SSH port", "https://public-ports.example.com:22/hook"),
  url(400, "blocked_port")("on the Redis port", "https://public-ports.example.com:6379/hook"),
  url(400, "blocked_port")("on port 0", "https://public-ports.example.com:0/hook"),
  // Every IPv4 spelling the URL parser accepts for loopback.
  privateUrl("127.0.0.1", "https://127.0.0.1/hook"),
  privateUrl("in decimal (2130706433)", "https://2130706433/hook"),
  privateUrl("in hex (0x7f000001)", "https://0x7f000001/hook"),
  privateUrl("in octal (0177.0.0.1)", "https://0177.0.0.1/hook"),
  privateUrl("in short form (127.1)", "https://127.1/hook"),
  privateUrl("in mixed short hex (0x7f.1)", "https://0x7f.1/hook"),
  privateUrl("percent-encoded", "https://%31%32%37.0.0.1/hook"),
  privateUrl("in full-width digits", "https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/hook"),
  privateUrl("with ideographic full stops", "https://127\u30020\u30020\u30021/hook"),
  privateUrl("with a trailing dot", "https://127.0.0.1./hook"),
  // The other blocked IPv4 ranges.
  privateUrl("0 (this network)", "https://0/hook"),
  privateUrl("in 10/8", "https://10.0.0.1/hook"),
  privateUrl("in 172.16/12", "https://172.16.5.4/hook"),
  privateUrl("in 192.168/16", "https://192.168.1.1/hook"),
  privateUrl("in carrier-grade NAT", "https://100.64.0.1/hook"),
  privateUrl("of the cloud metadata service", "https://169.254.169.254/latest/meta-data/"),
  privateUrl("of Oracle's metadata service (192.0.0.192)", "https://192.0.0.192/opc/v2/instance/"),
  privateUrl("of Alibaba's metadata service (100.100.100.200)", "https://100.100.100.200/latest/meta-data/"),
  privateUrl("in the benchmarking range", "https://198.18.0.1/hook"),
  privateUrl("in a documentation range", "https://192.0.2.1/hook"),
  privateUrl("in multicast", "https://224.0.0.1/hook"),
  privateUrl("in reserved 240/4", "https://240.0.0.1/hook"),
  privateUrl("of the broadcast address in decimal", "https://4294967295/hook"),
  // IPv6, including the forms that carry an IPv4 address.
  privateUrl("[::1]", "https://[::1]/hook"),
  privateUrl("[::]", "https://[::]/hook"),
  privateUrl("IPv4-mapped loopback", "https://[::ffff:127.0.0.1]/hook"),
  privateUrl("IPv4-mapped metadata in hex", "https://[::ffff:a9fe:a9fe]/hook"),
  privateUrl("IPv4-compatible loopback", "https://[::127.0.0.1]/hook"),
  privateUrl("NAT64 of a private address", "https://[64:ff9b::10.0.0.1]/hook"),
  privateUrl("6to4 of loopback", "https://[2002:7f00:1::]/hook"),
  privateUrl("Teredo with a loopback client", "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook"),
  privateUrl("unique local", "https://[fc00::1]/hook"),
  privateUrl("AWS's IPv6 metadata address", "https://[fd00:ec2::254]/latest/meta-data/"),
  privateUrl("link-local IPv6", "https://[fe80::1]/hook"),
  privateUrl("IPv6 multicast", "https://[ff02::1]/hook"),
  privateUrl("IPv6 documentation", "https://[2001:db8::1]/hook"),
  // Names that only mean something on a private network.
  privateUrl("localhost", "https://localhost/hook"),
  privateUrl("LOCALHOST with a trailing dot", "https://LOCALHOST./hook"),
  privateUrl("a *.localhost name", "https://api.localhost/hook"),
  privateUrl("percent-encoded localhost", "https://%6c%6f%63%61%6c%68%6f%73%74/hook"),
  privateUrl("localhost in enclosed letters", "https://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/hook"),
  privateUrl("metadata.google.internal", "https://metadata.google.internal/computeMetadata/v1/"),
  privateUrl("a single-label name", "https://metadata/hook"),
  privateUrl("an mDNS .local name", "https://printer.local/hook"),
  privateUrl("an .internal name", "https://db.internal/hook"),
  privateUrl("a home.arpa name", "https://router.home.arpa/hook"),
  // Hostnames whose DNS answers are not all public, or that do not resolve.
  privateUrl("resolving to a private address", "https://private-a.example.com/hook"),
  privateUrl("resolving to loopback", "https://loopback-a.example.com/hook"),
  privateUrl("resolving through a CNAME to the metadata service", "https://metadata-a.example.com/hook"),
  privateUrl("with one private AAAA among public answers", "https://v6private-a.example.com/hook"),
  privateUrl("resolving to an IPv4-mapped loopback", "https://mapped-a.example.com/hook"),
  url(400, "unresolvable_target")("that does not exist", "https://nxdomain-a.example.com/hook"),
  url(400, "unresolvable_target")("with no A or AAAA records", "https://empty-a.example.com/hook"),
  url(503, "dns_unavailable")("whose lookup fails (SERVFAIL)", "https://servfail-a.example.com/hook"),
  url(503, "dns_unavailable")("whose resolver is broken", "https://broken-a.example.com/hook"),
  url(503, "dns_unavailable")("whose resolver answers garbage", "https://garbage-a.example.com/hook"),
  // The same guard on one-off webhook_url targets and on changed endpoint URLs.
  badMessage("webhook_url of an IPv4-mapped metadata address", { webhook_url: "https://[::ffff:169.254.169.254]/" }, 400, "private_target"),
  badMessage("webhook_url resolving to a private address", { webhook_url: "https://private-b.example.com/hook" }, 400, "private_target"),
  badMessage("webhook_url with the ftp scheme", { webhook_url: "ftp://public-b.example.com/hook" }, 400, "invalid_url"),
  badMessage("webhook_url over plain http", { webhook_url: "http://public-b.example.com/hook" }, 400, "insecure_url"),
  {
    name: "changing an endpoint's url to a private address",
    request: (ctx) => ({ method: "PATCH", path: `/v1/tenants/${ctx.tenant}/endpoints/${ctx.endpoint}`, body: { url: "https://10.1.1.1/hook" } }),
    status: 400,
    code: "private_target",
  },
  {
    name: "changing an endpoint's url to a name resolving to loopback",
    request: (ctx) => ({ method: "PATCH", path: `/v1/tenants/${ctx.tenant}/endpoints/${ctx.endpoint}`, body: { url: "https://loopback-c.example.com/hook" } }),
    status: 400,
    code: "private_target",
  },

  // Custom headers.
  badHeaders("Host", { Host: "internal.example.com" }),
  badHeaders("Transfer-Encoding", { "Transfer-Encoding": "chunked" }),
  badHeaders("Connection", { Connection: "close" }),
  badHeaders("Upgrade", { Upgrade: "websocket" }),
  badHeaders("Proxy-Authorization", { "Proxy-Authorization": "Basic eA==" }),
  badHeaders("Content-Type", { "Content-Type": "text/plain" }),
  badHeaders("Content-Length", { "Content-Length": "0" }),
  badHeaders("User-Agent", { "User-Agent": "curl/8" }),
  badHeaders("webhook-signature", { "webhook-signature": "v1,forged" }),
  badHeaders("webhook-id", { "Webhook-Id": "msg_forged" }),
  badHeaders("X-Hub-Signature-256", { "X-Hub-Signature-256": "sha256=forged" }),
  badHeaders("X-Mindee-Hmac-Signature", { "X-Mindee-Hmac-Signature": "forged" }),
  badHeaders("X-Webhook-Signature", { "X-Webhook-Signature": "forged" }),
  badHeaders("svix-signature", { "svix-signature": "v1,forged" }),
  badHeaders("X-Forwarded-For", { "X-Forwarded-For": "127.0.0.1" }),
  badHeaders("CF-Connecting-IP", { "CF-Connecting-IP": "127.0.0.1" }),
  badHeaders("a value with CR/LF (response splitting)", { "X-Ok": "a\r\nX-Injected: 1" }),
  badHeaders("a value with a bare LF", { "X-Ok": "a\nb" }),
  badHeaders("a value with NUL", { "X-Ok": "a\u0000b" }),
  badHeaders("a value with another control character", { "X-Ok": "a\u0007b" }),
  badHeaders("a value with non-ASCII text", { "X-Ok": "caf\u00e9" }),
  badHeaders("a name with a CR/LF", { "X-Ok\r\nX-Injected": "1" }),
  badHeaders("a name with a colon and a space", { "X Bad:": "1" }),
  badHeaders("a name longer than 64 characters", { [`X-${"a".repeat(63)}`]: "1" }),
  badHeaders("a value longer than 4096 characters", { "X-Ok": "a".repeat(4097) }),
  badHeaders("21 headers", Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, "1"]))),
  badHeaders("more than 8 KiB in all", { "X-A": "a".repeat(3000), "X-B": "b".repeat(3000), "X-C": "c".repeat(3000) }),
  badHeaders("the same name twice in different case", { "X-Dup": "1", "x-dup": "2" }),
  badHeaders("a value that is not a string", { "X-Ok": 1 }),
  badHeaders("the endpoint's own hmac-sha256 signature header", { "X-Sig": "forged" }, { signature: { scheme: "hmac-sha256", header: "X-Sig" } }),
  badHeaders("Content-Type as the hmac-sha256 signature header", {}, { signature: { scheme: "hmac-sha256", header: "Content-Type" } }),

  // Payloads and the enqueue envelope.
  badMessage("a payload one byte over MAX_PAYLOAD_BYTES", { payload: "x".repeat(MAX_PAYLOAD_BYTES - 1) }, 413, "payload_too_large"),
  {
    name: "message: a request body over the hard cap, refused before it is parsed",
    request: enqueueRaw(`{${" ".repeat(MAX_PAYLOAD_BYTES + 64 * 1024)}`),
    status: 413,
    code: "payload_too_large",
  },
  {
    name: `message: a payload nested ${MAX_JSON_DEPTH + 1} levels deep`,
    request: enqueueRaw(`{"event":"document.predicted","payload":${nested(MAX_JSON_DEPTH + 1)}}`),
    status: 400,
    code: "validation_failed",
  },
  {
    name: "message: a payload nested 100000 levels deep",
    request: enqueueRaw(`{"event":"document.predicted","payload":${nested(100_000)}}`),
    status: 400,
    code: "validation_failed",
  },
  { name: "message: a body that is not JSON", request: enqueueRaw('{"event": "x", payload: }'), status: 400, code: "invalid_json" },
  {
    name: "message: a JSON body sent as text/plain",
    request: (ctx) => ({ ...enqueueRaw('{"event":"a.b","payload":{}}')(ctx), headers: { "content-type": "text/plain" } }),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "message: a form-encoded body",
    request: (ctx) => ({ ...enqueueRaw("event=a.b&payload=1")(ctx), headers: { "content-type": "application/x-www-form-urlencoded" } }),
    status: 415,
    code: "unsupported_media_type",
  },
  { name: "message: a body that is a JSON array", request: enqueueRaw("[]"), status: 400, code: "validation_failed" },
  { name: "message: no payload", request: enqueueRaw('{"event":"document.predicted"}'), status: 400, code: "validation_failed" },
  badMessage("an unknown field", { extra: 1 }),
  {
    name: "message: a __proto__ key in the envelope",
    request: enqueueRaw('{"event":"document.predicted","payload":{},"__proto__":{"admin":true}}'),
    status: 400,
    code: "validation_failed",
  },
  badMessage("an empty event type", { event: "" }),
  badMessage("an event type with a space", { event: "document predicted" }),
  badMessage("an event type with a newline", { event: "document\n.predicted" }),
  badMessage("an event type of 129 characters", { event: "e".repeat(129) }),
  badMessage("an event type with a path traversal", { event: "../../etc/passwd" }),
  badMessage("an event type with non-ASCII letters", { event: "\u00e9v\u00e9nement" }),
  badMessage("an event type with SQL", { event: "x' OR '1'='1" }),
  badMessage("a source with a space", { source: "invoices v4" }),
  badMessage("a source of 129 characters", { source: "s".repeat(129) }),
  {
    name: "message: an Idempotency-Key of 256 characters",
    request: enqueue({}, { "Idempotency-Key": "k".repeat(256) }),
    status: 400,
    code: "validation_failed",
  },
  { name: "message: an Idempotency-Key with a space", request: enqueue({}, { "Idempotency-Key": "a b" }), status: 400, code: "validation_failed" },

  // Ids in paths, queries and bodies.
  badMessage("an endpoint id that is not a UUID", { endpoint_ids: ["not-a-uuid"] }),
  badMessage("101 endpoint ids", { endpoint_ids: Array.from({ length: 101 }, () => crypto.randomUUID()) }),
  badMessage("the same endpoint id twice", { endpoint_ids: ["0b7f5e4e-6a43-4a4e-9a51-1d7e2f9b3c10", "0b7f5e4e-6a43-4a4e-9a51-1d7e2f9b3c10"] }),
  badMessage("an endpoint id that does not exist", { endpoint_ids: [crypto.randomUUID()] }, 404, "endpoint_not_found"),
  {
    name: "message: another tenant's endpoint id",
    request: (ctx) => enqueue({ endpoint_ids: [ctx.otherEndpoint] })(ctx),
    status: 404,
    code: "endpoint_not_found",
  },
  { name: "path: an endpoint id that is not a UUID", request: get((c) => `/v1/tenants/${c.tenant}/endpoints/not-a-uuid`), status: 400, code: "validation_failed" },
  {
    name: "path: an endpoint id carrying SQL",
    request: get((c) => `/v1/tenants/${c.tenant}/endpoints/${encodeURIComponent("' OR 1=1 --")}`),
    status: 400,
    code: "validation_failed",
  },
  {
    name: "path: a delivery id with an encoded path traversal",
    request: get((c) => `/v1/tenants/${c.tenant}/deliveries/..%2F..%2Fendpoints`),
    status: 400,
    code: "validation_failed",
  },
  { name: "path: a message id of 10000 characters", request: get((c) => `/v1/tenants/${c.tenant}/messages/${"a".repeat(10_000)}`), status: 400, code: "validation_failed" },
  { name: "path: a tenant id carrying SQL", request: get(() => `/v1/tenants/${encodeURIComponent("x' OR '1'='1")}/endpoints`), status: 404, code: "not_found" },
  { name: "path: a tenant id of 65 characters", request: get(() => `/v1/tenants/${"t".repeat(65)}/endpoints`), status: 404, code: "not_found" },
  { name: "query: a page size of 1000", request: get((c) => `/v1/tenants/${c.tenant}/endpoints?limit=1000`), status: 400, code: "validation_failed" },
  { name: "query: a negative page size", request: get((c) => `/v1/tenants/${c.tenant}/deliveries?limit=-1`), status: 400, code: "validation_failed" },
  { name: "query: a forged cursor", request: get((c) => `/v1/tenants/${c.tenant}/endpoints?cursor=${btoa("1:x' OR 1=1")}`), status: 400, code: "invalid_cursor" },
  { name: "query: a cursor of 201 characters", request: get((c) => `/v1/tenants/${c.tenant}/messages?cursor=${"c".repeat(201)}`), status: 400, code: "validation_failed" },
  { name: "query: a filter id that is not a UUID", request: get((c) => `/v1/tenants/${c.tenant}/deliveries?endpoint_id=1%20OR%201=1`), status: 400, code: "validation_failed" },
  {
    name: "auth: a bearer token of 10000 characters",
    request: (ctx) => ({ method: "GET", path: `/v1/tenants/${ctx.tenant}/endpoints`, token: `ehk_${"a".repeat(10_000)}` }),
    status: 401,
    code: "unauthorized",
  },
];

describe("hostile input against the production target policy", () => {
  const capture: HoldingQueue = holdingQueue();
  const hostileEnv = productionEnv({ DELIVERIES: capture.queue });
  const ctx = {} as Context;
  let before: Awaited<ReturnType<typeof tenantRows>>;

  beforeAll(async () => {
    const tenant = await newTenant();
    const other = await newTenant();
    ctx.tenant = tenant.id;
    ctx.otherTenant = other.id;
    ctx.bucket = crypto.randomUUID().slice(0, 8);
    const endpoint = await callWorker(hostileEnv, "POST", `/v1/tenants/${tenant.id}/endpoints`, {
      body: { url: `https://public-base.example.com/ok/${ctx.bucket}` },
    });
    expect(endpoint.status).toBe(201);
    ctx.endpoint = endpoint.body.id;
    const otherEndpoint = await callWorker(hostileEnv, "POST", `/v1/tenants/${other.id}/endpoints`, {
      body: { url: "https://public-other.example.com/hook" },
    });
    ctx.otherEndpoint = otherEndpoint.body.id;
    before = await tenantRows(tenant.id);
  });

  it("has at least 60 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases)("$name → $status $code", async (c) => {
    const { method, path, ...options } = c.request(ctx);
    const res = await callWorker(hostileEnv, method, path, options);
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: c.status, code: c.code });
    expect(await tenantRows(ctx.tenant)).toEqual(before);
    expect(capture.sent).toEqual([]);
  });

  afterAll(async () => {
    expect(await received(ctx.bucket)).toEqual([]);
  });
});
