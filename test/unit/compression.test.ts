import { brotliCompressSync, constants } from "node:zlib";
import { describe, expect, it } from "vitest";
import { extractionPayload } from "../../bench/lib/extraction-payload";
import { compressText, decompressText } from "../../src/lib/compression";

// Node's zlib wraps the same Brotli library as workerd's node:zlib, so these run as unit tests.

/** What the relay stored before the fast pass: Brotli at quality 10 alone. */
function qualityTenAlone(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const { BROTLI_PARAM_QUALITY, BROTLI_PARAM_MODE, BROTLI_MODE_TEXT, BROTLI_PARAM_SIZE_HINT } = constants;
  return brotliCompressSync(bytes, { params: { [BROTLI_PARAM_QUALITY]: 10, [BROTLI_PARAM_MODE]: BROTLI_MODE_TEXT, [BROTLI_PARAM_SIZE_HINT]: bytes.byteLength } });
}

const padded = (bytes: number) => `{"pad":"${"x".repeat(bytes - 10)}"}`;
const extraction = Array.from({ length: 20 }, (_, i) => JSON.stringify(extractionPayload(i + 1)));
const randomDigits = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 10).join("");

describe("payload compression", () => {
  it.each([
    ["4 KiB of padding", padded(4096)],
    ["64 KiB of padding", padded(65_536)],
    ["an extraction result", extraction[0]!],
    ["a short JSON", '{"id":"doc_1","status":"done"}'],
    ["an empty text", ""],
    ["non-ASCII text", '{"name":"Zoë 🧾 東京","note":"\\u00e9"}'],
    ["text that barely compresses", randomDigits],
  ])("gives back %s exactly", (_kind, text) => {
    expect(decompressText(compressText(text))).toBe(text);
  });

  it("reads payloads that rows written before the fast pass hold (quality 10 alone)", () => {
    expect(decompressText(qualityTenAlone(extraction[1]!))).toBe(extraction[1]);
    expect(decompressText(Array.from(qualityTenAlone(padded(4096))))).toBe(padded(4096));
  });

  it("stores a realistic extraction payload in no more bytes than quality 10 alone did", () => {
    for (const text of extraction) expect(compressText(text).byteLength).toBeLessThanOrEqual(qualityTenAlone(text).byteLength);
  });

  it("stores a highly redundant payload in no more bytes than quality 10 alone did", () => {
    for (const text of [padded(4096), padded(65_536), '{"id":"doc_1","status":"done"}']) {
      expect(compressText(text).byteLength).toBeLessThanOrEqual(qualityTenAlone(text).byteLength);
    }
  });
});
