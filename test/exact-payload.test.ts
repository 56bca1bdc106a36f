import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { decompressText } from "../src/lib/compression";
import { api, apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { rowOnAnyShard, shardOf } from "./support/shards";

const messages = (t: string) => `/v1/tenants/${t}/messages`;
/** The payload as D1 holds it, decompressed (src/payloads.ts). */
const storedPayload = async (messageId: string) =>
  decompressText((await rowOnAnyShard<{ payload: number[] }>("SELECT payload FROM messages WHERE id = ?", messageId))!.payload);

/** Enqueues a raw request body and returns the 202 body. */
async function enqueueRaw(tenantId: string, rawBody: string, headers?: Record<string, string>) {
  const res = await apiJson("POST", messages(tenantId), { rawBody, headers });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body;
}

/** The text of `GET …/messages/{id}` as the client gets it, before any JSON parser touches it. */
async function pollText(tenantId: string, messageId: string): Promise<string> {
  const res = await api("GET", `${messages(tenantId)}/${messageId}`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/json");
  return res.text();
}

const SEED_PAYLOAD = '{"order_id":9123456789654321123,"ledger_seq":18446744073709551615,"huge":1e400,"ratio":1.0,"neg":-0,"amount":1e21}';

describe("the payload arrives exactly as the platform sent it", () => {
  it("the field report's numbers reach the receiver byte for byte, signed over those bytes, and polling shows the same text", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const message = await enqueueRaw(id, `{"event":"order.paid","payload":${SEED_PAYLOAD}}`);

    const [request] = await eventually(async () => (await received(name)).length === 1 && received(name));
    expect(request!.body).toBe(SEED_PAYLOAD);
    expect(() => new Webhook(endpoint.secret).verify(request!.body, request!.headers)).not.toThrow();
    expect(await pollText(id, message.id)).toContain(`"payload":${SEED_PAYLOAD},`);
  });

  it.each([
    ["integers beyond 2^53", "[9007199254740993,-18446744073709551616]"],
    ["exponents, trailing zeros and negative zero", '{"a":1E+2,"b":2.50,"c":-0.0,"d":1e-400,"e":-1e400}'],
    ["string escapes as written", '"caf\\u00e9 \\/ \\ud83d\\ude00 \\t"'],
    ["a lone surrogate escape beside others", '{"name":"\\ud800\\u0041"}'],
    ["integer-like keys in their sent order", '{"b":1,"10":2,"2":3}'],
    ["duplicate keys", '{"k":1,"k":2}'],
    ["whitespace inside the payload", '{ "a" : [ 1 ,\n 2 ] }'],
    ["a bare number", "12345678901234567890123"],
  ])("%s: stored and polled exactly as sent", async (_kind, payload) => {
    const { id } = await newTenant();
    const message = await enqueueRaw(id, `{"event":"x","payload":${payload}}`);
    expect(await storedPayload(message.id)).toBe(payload);
    expect(await pollText(id, message.id)).toContain(`"payload":${payload},`);
  });

  it("whitespace around the payload is not part of it", async () => {
    const { id } = await newTenant();
    const message = await enqueueRaw(id, '{"payload" :\n  {"a":1}\t ,"event":"x"}');
    expect(await storedPayload(message.id)).toBe('{"a":1}');
  });

  it("the polled message is still valid JSON with every other field intact", async () => {
    const { id } = await newTenant();
    const message = await enqueueRaw(id, '{"event":"x","source":"s","payload":{"n":1}}');
    expect(JSON.parse(await pollText(id, message.id))).toMatchObject({ id: message.id, event: "x", source: "s", payload: { n: 1 }, deliveries: [] });
  });

  it("an Idempotency-Key reused with numbers that parse alike but differ is a 422, not a replay", async () => {
    const { id } = await newTenant();
    const headers = { "idempotency-key": "order-9123456789654321123" };
    await enqueueRaw(id, '{"event":"x","payload":{"order_id":9123456789654321123}}', headers);
    const res = await apiJson("POST", messages(id), { rawBody: '{"event":"x","payload":{"order_id":9123456789654321124}}', headers });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("idempotency_key_reused");
  });

  it("the size limit counts the payload's text as sent", async () => {
    const { id } = await newTenant();
    const padded = `[1${" ".repeat(256 * 1024)}]`;
    const res = await apiJson("POST", messages(id), { rawBody: `{"event":"x","payload":${padded}}` });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
  });

  it("a body that is not valid UTF-8 is a 400 invalid_json and nothing is stored", async () => {
    const { id } = await newTenant();
    const bytes = new Uint8Array([...new TextEncoder().encode('{"event":"x","payload":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    const res = await api("POST", messages(id), { rawBody: bytes });
    expect(res.status).toBe(400);
    expect((await res.json<any>()).error.code).toBe("invalid_json");
    expect(await (await shardOf(id)).prepare("SELECT count(*) AS n FROM messages WHERE tenant_id = ?").bind(id).first("n")).toBe(0);
  });
  it("a batch body that is not valid UTF-8 is a 400 invalid_json and nothing is stored", async () => {
    const { id } = await newTenant();
    const bytes = new Uint8Array([...new TextEncoder().encode('{"messages":[{"event":"x","payload":"'), 0xc3, 0x28, ...new TextEncoder().encode('"}]}')]);
    const res = await api("POST", `${messages(id)}/batch`, { rawBody: bytes });
    expect(res.status).toBe(400);
    expect((await res.json<any>()).error.code).toBe("invalid_json");
    expect(await (await shardOf(id)).prepare("SELECT count(*) AS n FROM messages WHERE tenant_id = ?").bind(id).first("n")).toBe(0);
  });

  it("a body that starts with a UTF-8 byte order mark is read as the JSON after it, its payload stored exactly", async () => {
    const { id } = await newTenant();
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"event":"x","payload":{"n": 1.50}}')]);
    const res = await api("POST", messages(id), { rawBody: bytes });
    expect(res.status).toBe(202);
    expect(await storedPayload((await res.json<{ id: string }>()).id)).toBe('{"n": 1.50}');
  });

  it("a batch body with a byte order mark keeps every payload's exact text", async () => {
    const { id } = await newTenant();
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"messages":[{"event":"x","payload":"é\\u00e9"},{"event":"x","payload":[1e2]}]}')]);
    const res = await api("POST", `${messages(id)}/batch`, { rawBody: bytes });
    expect(res.status).toBe(202);
    const [first, second] = (await res.json<{ messages: Array<{ id: string }> }>()).messages;
    expect(await storedPayload(first!.id)).toBe('"é\\u00e9"');
    expect(await storedPayload(second!.id)).toBe("[1e2]");
  });
});
