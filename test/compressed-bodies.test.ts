import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DEFAULT_PAYLOAD_BYTES, ENVELOPE_BYTES, MAX_BATCH_BODY_BYTES } from "../src/limits";
import { api, apiJson, newTenant } from "./support/api";
import { rowsOnShards } from "./support/shards";

const single = (t: string) => `/v1/tenants/${t}/messages`;
const batch = (t: string) => `/v1/tenants/${t}/messages/batch`;
const utf8 = (text: string) => new TextEncoder().encode(text);
const encoders = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync } as const;
const codings = Object.keys(encoders) as Array<keyof typeof encoders>;

/** Sends `text` compressed with `coding` (or as given, for a coding we do not know), as a client would. */
function send(path: string, text: string | Uint8Array, contentEncoding?: string) {
  const bytes = typeof text === "string" ? utf8(text) : text;
  const known = codings.find((c) => c === contentEncoding);
  const body = known ? encoders[known](bytes) : bytes;
  return apiJson("POST", path, { rawBody: new Uint8Array(body), headers: contentEncoding === undefined ? {} : { "content-encoding": contentEncoding } });
}

/** An enqueue body whose payload has a number JSON.parse would round: the stored text must be exactly it. */
const exactBody = (n: number) => `{"event":"invoice.paid","payload":{"amount":9123456789654321123,"n":${n}}}`;

/** The polled message as text, so the payload's exact JSON text can be compared. */
async function polledText(tenantId: string, messageId: string): Promise<string> {
  return (await api("GET", `${single(tenantId)}/${messageId}`)).text();
}

describe("compressed request bodies on the enqueue routes", () => {
  it.each(codings)("a single enqueue sent with Content-Encoding %s is stored exactly as if sent uncompressed", async (coding) => {
    const { id } = await newTenant();
    const res = await send(single(id), exactBody(1), coding);
    expect(res.status).toBe(202);
    expect(await polledText(id, res.body.id)).toContain('"payload":{"amount":9123456789654321123,"n":1}');
  });

  it("a gzip batch near the 1 MiB limit once decompressed (a month-end batch) is accepted whole", async () => {
    const { id } = await newTenant();
    const line = `{"sku":"A-1","qty":1,"note":"${"monthly usage ".repeat(60)}"}`;
    const payload = `[${Array(11).fill(line).join(",")}]`;
    const text = `{"messages":[${Array.from({ length: 100 }, (_, i) => `{"event":"invoice.created","payload":{"i":${i},"lines":${payload}}}`).join(",")}]}`;
    expect(text.length).toBeGreaterThan(0.9 * MAX_BATCH_BODY_BYTES);
    expect(text.length).toBeLessThanOrEqual(MAX_BATCH_BODY_BYTES);
    const res = await send(batch(id), text, "gzip");
    expect(res.status).toBe(202);
    expect(res.body.messages).toHaveLength(100);
    expect(await rowsOnShards("messages", id)).toBe(100);
  });

  it("a deflate batch is accepted like an uncompressed one", async () => {
    const { id } = await newTenant();
    const res = await send(batch(id), `{"messages":[${exactBody(1)},${exactBody(2)}]}`, "deflate");
    expect(res.status).toBe(202);
    expect(await polledText(id, res.body.messages[1].id)).toContain('"n":2');
  });

  it("Content-Encoding identity, or none, reads the body as it is", async () => {
    const { id } = await newTenant();
    expect((await send(single(id), exactBody(1), "identity")).status).toBe(202);
    expect((await send(single(id), exactBody(2))).status).toBe(202);
    expect(await rowsOnShards("messages", id)).toBe(2);
  });

  it("a 20 MB gzip bomb, 20 KB on the wire, is a 413 stating the limit in bytes, and nothing is stored", async () => {
    const { id } = await newTenant();
    const bomb = `{"messages":[{"event":"x","payload":"${"a".repeat(20 * 1024 * 1024)}"}]}`;
    const wire = gzipSync(utf8(bomb));
    expect(wire.byteLength).toBeLessThan(25 * 1024);
    const res = await apiJson("POST", batch(id), { rawBody: new Uint8Array(wire), headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(413);
    expect(res.body.error).toEqual({ code: "payload_too_large", message: `The request body, decompressed, is over this route's limit of ${MAX_BATCH_BODY_BYTES} bytes` });
    expect(await rowsOnShards("messages", id)).toBe(0);
  });

  it.each(codings)("a single enqueue that decompresses (%s) past the single-message limit is a 413, nothing stored", async (coding) => {
    const { id } = await newTenant();
    const limit = DEFAULT_PAYLOAD_BYTES + ENVELOPE_BYTES;
    const res = await send(single(id), `{"event":"x","payload":"${"a".repeat(limit)}"}`, coding);
    expect(res.status).toBe(413);
    expect(res.body.error.message).toContain(`limit of ${limit} bytes`);
    expect(await rowsOnShards("messages", id)).toBe(0);
  });

  it.each([["zstd"], ["compress"], ["gzip, br"]])("Content-Encoding %s is a 415 naming it, nothing stored", async (header) => {
    const { id } = await newTenant();
    const res = await send(single(id), exactBody(1), header);
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe("unsupported_content_encoding");
    expect(res.body.error.message).toContain(`Content-Encoding ${header} is not supported`);
    expect(await rowsOnShards("messages", id)).toBe(0);
  });

  it("a 415 for a huge unsupported Content-Encoding names only its first 64 characters", async () => {
    const { id } = await newTenant();
    const header = `x-${"z".repeat(8000)}`;
    const res = await send(single(id), exactBody(1), header);
    expect(res.status).toBe(415);
    expect(res.body.error.message).toContain(`Content-Encoding ${header.slice(0, 64)}… is not supported`);
    expect(res.body.error.message.length).toBeLessThan(300);
    expect(await rowsOnShards("messages", id)).toBe(0);
  });

  it.each(codings)("a body that is not valid %s data is a 400 corrupt_compressed_body, nothing stored", async (coding) => {
    const { id } = await newTenant();
    const whole = encoders[coding](utf8(exactBody(1)));
    const res = await apiJson("POST", single(id), { rawBody: new Uint8Array(whole.subarray(0, whole.byteLength - 4)), headers: { "content-encoding": coding } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("corrupt_compressed_body");
    expect(res.body.error.message).toContain(`not valid ${coding} data`);
    expect(await rowsOnShards("messages", id)).toBe(0);
  });

  it("an uncompressed gzip header on a plain body (a client that forgot to compress) is a 400 corrupt_compressed_body", async () => {
    const { id } = await newTenant();
    const res = await apiJson("POST", single(id), { rawBody: exactBody(1), headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("corrupt_compressed_body");
  });

  it("a body that decompresses to bytes that are not UTF-8 is a 400 invalid_json", async () => {
    const { id } = await newTenant();
    const res = await send(single(id), new Uint8Array([...utf8('{"event":"x","payload":"'), 0xff, ...utf8('"}')]), "gzip");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_json");
  });

  it("an uncompressed body over the limit is a 413 stating the limit in bytes", async () => {
    const { id } = await newTenant();
    const res = await send(batch(id), `{"messages":[{"event":"x","payload":"${"a".repeat(MAX_BATCH_BODY_BYTES)}"}]}`);
    expect(res.status).toBe(413);
    expect(res.body.error.message).toBe(`The request body is over this route's limit of ${MAX_BATCH_BODY_BYTES} bytes`);
  });

  it("other routes take no compressed body: 415 unsupported_content_encoding, nothing created", async () => {
    const { id } = await newTenant();
    const res = await send(`/v1/tenants/${id}/endpoints`, JSON.stringify({ url: "https://e.com/a" }), "gzip");
    expect(res.status).toBe(415);
    expect(res.body.error).toEqual({ code: "unsupported_content_encoding", message: "Content-Encoding gzip is accepted on the enqueue routes only: send this body uncompressed" });
    expect(await rowsOnShards("endpoints", id)).toBe(0);
  });
});
