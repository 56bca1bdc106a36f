import { describe, expect, it } from "vitest";
import { compileSchema, schemaProblems, ValidationTooComplex } from "../../src/lib/json-schema";
import { MAX_SCHEMA_PATTERN_PROGRAM_SIZE } from "../../src/lib/linear-regex";

// Each kind of work is charged at its measured CPU cost (bench/lib/validation.ts), so a payload
// that would spend more than ~50 ms on any one kind ends in ValidationTooComplex (422), while
// realistic payloads stay well inside the budget.

const check = (schema: unknown, payload: unknown) => compileSchema(schema).check(payload, "payload");
const LONG = 250_000;
const abText = (length: number) => Array.from({ length }, (_, i) => ((i * 7919) % 13 < 6 ? "a" : "b")).join("");
const allOf = (count: number, schema: unknown) => ({ allOf: Array.from({ length: count }, () => schema) });
const wideObject = (keys: number) => Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, i]));

describe("a full budget of any kind of work is too complex, not tens of milliseconds per tenant", () => {
  it('a 250,000-character string under the simple pattern "^[a-z]+$" is too complex', () => {
    expect(() => check({ type: "string", pattern: "^[a-z]+$" }, "a".repeat(LONG))).toThrow(ValidationTooComplex);
  });

  it('a 250,000-character a/b string under "a[ab]{20}c", whose automaton thrashes, is too complex', () => {
    expect(() => check({ type: "string", pattern: "a[ab]{20}c" }, abText(LONG))).toThrow(ValidationTooComplex);
  });

  it("allOf of 30 patterns on one long string is too complex", () => {
    expect(() => check(allOf(30, { pattern: "[ab]+" }), abText(LONG / 10))).toThrow(ValidationTooComplex);
  });

  it.each([["uri-template"], ["uri-reference"], ["iri"], ["email"]])("allOf of 30 format %s on one valid 250,000-character string is too complex", (format) => {
    const value = format === "iri" ? `http://${"a".repeat(LONG)}` : format === "email" ? `${"a".repeat(LONG)}@example.com` : "a".repeat(LONG);
    expect(() => check(allOf(30, { format }), value)).toThrow(ValidationTooComplex);
  });

  it("60 nested allOf under unevaluatedProperties over 25,000 properties is too complex", () => {
    let inner: unknown = { additionalProperties: true };
    for (let n = 0; n < 60; n++) inner = { allOf: [inner] };
    expect(() => check({ type: "object", unevaluatedProperties: false, allOf: [inner] }, wideObject(25_000))).toThrow(ValidationTooComplex);
  });
});

describe("realistic payloads stay within the budget", () => {
  it("one format on a 250,000-character valid string is checked", () => {
    expect(check({ type: "string", format: "uri-reference" }, "a".repeat(LONG))).toEqual([]);
  });

  it("a 256 KiB array of records, each with a patterned id, an email and typed numbers, matches", () => {
    const item = { type: "object", required: ["id", "email", "amount"], properties: { id: { type: "string", pattern: "^[a-z0-9-]+$" }, email: { type: "string", format: "email" }, amount: { type: "number", minimum: 0 } } };
    const payload = Array.from({ length: 3500 }, (_, i) => ({ id: `order-${i}`, email: `buyer${i}@example.com`, amount: i * 1.25, note: "delivered to the front desk" }));
    expect(JSON.stringify(payload).length).toBeGreaterThan(250_000);
    expect(check({ type: "array", items: item }, payload)).toEqual([]);
  });
});

describe("the compiled size of a schema's patterns is capped when the type is created", () => {
  it("a pattern that compiles large is accepted alone", () => {
    expect(schemaProblems({ type: "string", pattern: "a{1000}" })).toEqual([]);
  });

  it(`patterns whose compiled programs sum past ${MAX_SCHEMA_PATTERN_PROGRAM_SIZE} instructions are refused, naming the one that crosses it`, () => {
    const schema = { properties: { a: { pattern: "a{1000}" }, b: { pattern: "b{1000}" }, c: { pattern: "c{1000}" } } };
    expect(schemaProblems(schema)).toEqual([{ path: "schema.properties.b.pattern", message: expect.stringContaining(`past ${MAX_SCHEMA_PATTERN_PROGRAM_SIZE} compiled instructions`) }]);
  });

  it("patternProperties keys count towards the same sum", () => {
    const schema = { pattern: "a{1000}", patternProperties: { "b{1000}": true } };
    expect(schemaProblems(schema)).toEqual([{ path: "schema.patternProperties.b{1000}", message: expect.stringContaining("compiled instructions") }]);
  });
});
