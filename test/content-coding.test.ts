import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeBody, MAX_NAMED_CODING_CHARS, parseContentEncoding, type RequestCoding } from "../src/lib/content-coding";

// Runs inside workerd: what the decoders can do is what the Worker's runtime has.

const encoders: Record<RequestCoding, (bytes: Uint8Array) => Uint8Array> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };
const codings = Object.keys(encoders) as RequestCoding[];
const utf8 = (s: string) => new TextEncoder().encode(s);

describe("parseContentEncoding", () => {
  it.each([[null], [""], ["identity"], [" Identity "]])("%j means no coding", (header) => {
    expect(parseContentEncoding(header)).toEqual({ coding: null });
  });

  it.each([
    ["gzip", "gzip"],
    ["GZIP", "gzip"],
    ["x-gzip", "gzip"],
    ["deflate", "deflate"],
    ["br", "br"],
    ["identity, gzip", "gzip"],
  ])("%j is %s", (header, coding) => {
    expect(parseContentEncoding(header)).toEqual({ coding });
  });

  it.each([["zstd"], ["compress"], ["brotli"], ["gzip, br"], ["gzip, gzip"]])("%j is unsupported, named as sent", (header) => {
    expect(parseContentEncoding(header)).toEqual({ unsupported: header });
  });

  it("an unsupported coding longer than MAX_NAMED_CODING_CHARS is named by its first characters and an ellipsis", () => {
    const header = "q".repeat(MAX_NAMED_CODING_CHARS * 100);
    expect(parseContentEncoding(header)).toEqual({ unsupported: `${"q".repeat(MAX_NAMED_CODING_CHARS)}…` });
  });
});

describe("decodeBody", () => {
  it.each(codings)("gives back exactly what %s encoded", (coding) => {
    const original = JSON.stringify({ event: "invoice.paid", payload: { amount: 9123456789654321123n.toString(), note: "naïve ✓" } });
    expect(decodeBody(encoders[coding](utf8(original)), coding, 1024)).toEqual({ ok: true, bytes: utf8(original) });
  });

  it.each(codings)("%s: a body that decodes to exactly the limit passes; one byte more is too large", (coding) => {
    const exact = decodeBody(encoders[coding](new Uint8Array(4096)), coding, 4096);
    expect(exact.ok && exact.bytes.byteLength).toBe(4096);
    expect(decodeBody(encoders[coding](new Uint8Array(4097)), coding, 4096)).toEqual({ ok: false, problem: "too_large" });
  });

  it.each(codings)("%s: decoding stops at the limit, so a bomb's broken tail is never reached", (coding) => {
    const bomb = encoders[coding](new Uint8Array(20 * 1024 * 1024));
    // Cut off the end: a decoder that read the whole stream would find it truncated (corrupt).
    expect(decodeBody(bomb.subarray(0, bomb.byteLength - 8), coding, 1024 * 1024)).toEqual({ ok: false, problem: "too_large" });
  });

  it.each(codings)("%s: data that is not a complete stream of that coding is corrupt", (coding) => {
    const whole = encoders[coding](utf8('{"event":"x","payload":1}'));
    for (const broken of [utf8('{"event":"x","payload":1}'), whole.subarray(0, whole.byteLength - 3), new Uint8Array()]) {
      expect(decodeBody(broken, coding, 1024)).toMatchObject({ ok: false, problem: "corrupt", detail: expect.any(String) });
    }
  });
});
