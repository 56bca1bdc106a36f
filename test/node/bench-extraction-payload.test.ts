import { describe, expect, it } from "vitest";
import { EXTRACTION_PAYLOAD_BYTES, extractionPayload } from "../../bench/lib/extraction-payload.ts";

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe("the bench's extraction payload", () => {
  it("fills up to 4 KiB of JSON without going over", () => {
    for (const seed of [0, 1, 42, 999, 123_456]) {
      const size = bytesOf(extractionPayload(seed));
      expect(size).toBeLessThanOrEqual(EXTRACTION_PAYLOAD_BYTES);
      expect(size).toBeGreaterThan(EXTRACTION_PAYLOAD_BYTES - 200);
    }
  });

  it("is the same for the same seed and differs between seeds", () => {
    expect(JSON.stringify(extractionPayload(7))).toBe(JSON.stringify(extractionPayload(7)));
    expect(JSON.stringify(extractionPayload(7))).not.toBe(JSON.stringify(extractionPayload(8)));
  });

  it("survives a JSON round trip unchanged", () => {
    const text = JSON.stringify(extractionPayload(3));
    expect(JSON.stringify(JSON.parse(text))).toBe(text);
  });

  it("has about ten fields, each with a value, a confidence and a 4-point polygon of 3-decimal coordinates", () => {
    const payload = extractionPayload(11);
    const fields = Object.values(payload.fields);
    expect(fields).toHaveLength(10);
    const polygons = [...fields, ...payload.line_items].map((f) => f.polygon);
    for (const field of fields) {
      expect(field.value).not.toBe("");
      expect(field.confidence).toBeGreaterThan(0);
      expect(field.confidence).toBeLessThanOrEqual(1);
    }
    for (const polygon of polygons) {
      expect(polygon).toHaveLength(4);
      for (const coordinate of polygon.flat()) expect(Math.round(coordinate * 1000) / 1000).toBe(coordinate);
    }
  });

  it("fills the rest with line items whose totals are quantity × unit price", () => {
    const { line_items: items } = extractionPayload(5);
    expect(items.length).toBeGreaterThan(5);
    for (const item of items) {
      expect(item.description).toMatch(/\w+ \w+/);
      expect(item.total_amount).toBeCloseTo(item.quantity * item.unit_price, 2);
    }
  });

  it("refuses a size too small for the fields alone", () => {
    expect(() => extractionPayload(1, 200)).toThrow(/cannot hold/);
  });
});
