import { describe, expect, it } from "vitest";
import { compileSchema, schemaProblems, ValidationTooComplex } from "../../src/lib/json-schema";
import { MAX_SCHEMAS_PER_VALUE } from "../../src/limits";

// Every hostile input here is long enough that a backtracking or quadratic check would not finish
// within the test timeout: a test that returns at all has run in bounded time.

const check = (schema: unknown, payload: unknown) => compileSchema(schema).check(payload, "payload");

/** The `$defs` chain of the field report: level n is `allOf` of two `$ref`s to level n+1, the last a string. */
function fanOutSchema(levels: number) {
  const $defs: Record<string, unknown> = {};
  for (let n = 0; n < levels; n++) $defs[`l${n}`] = { allOf: [{ $ref: `#/$defs/l${n + 1}` }, { $ref: `#/$defs/l${n + 1}` }] };
  $defs[`l${levels}`] = { type: "string" };
  return { $defs, $ref: "#/$defs/l0" };
}

describe("pattern and patternProperties run in time linear in the value", () => {
  it('the catastrophic pattern "^(a+)+$" refuses a long almost-matching value at once', () => {
    expect(check({ type: "string", pattern: "^(a+)+$" }, `${"a".repeat(28)}!`)).toEqual([{ path: "payload", message: "String does not match pattern." }]);
    expect(check({ type: "string", pattern: "^(a+)+$" }, `${"a".repeat(100_000)}!`)).toHaveLength(1);
  });

  it("a catastrophic patternProperties key refuses a long almost-matching property name at once", () => {
    const schema = { type: "object", patternProperties: { "^(a|a)*$": { type: "integer" } }, additionalProperties: false };
    expect(check(schema, { [`${"a".repeat(50_000)}!`]: 1 })).toEqual([{ path: `payload.${"a".repeat(50_000)}!`, message: "is not allowed by the schema" }]);
    expect(check(schema, { aaaa: "x" })).toEqual([{ path: "payload.aaaa", message: 'Instance type "string" is invalid. Expected "integer".' }]);
  });

  it("patterns keep JSON Schema's meaning: ECMA-262 with the u flag, unanchored", () => {
    expect(check({ pattern: "b+" }, "abbbc")).toEqual([]);
    expect(check({ pattern: "^a.c$" }, "a\u2028c")).toHaveLength(1);
    expect(check({ pattern: "^a\\sc$" }, "a\u00a0c")).toEqual([]);
    expect(check({ pattern: "^\\u00e9+$" }, "ééé")).toEqual([]);
    expect(check({ pattern: "^[[:a]+$" }, "[:a")).toEqual([]);
    expect(check({ pattern: "^\\p{L}+$" }, "añ")).toEqual([]);
    expect(check({ pattern: "^(?<word>\\w+)$" }, "hello")).toEqual([]);
  });
});

describe("patterns that cannot run in linear time are refused when the type is created", () => {
  it.each([
    ["a backreference", "^(a)\\1$", "backreference"],
    ["a named backreference", "^(?<x>a)\\k<x>$", "backreference"],
    ["a lookahead", "^(?=a)a$", "lookahead"],
    ["a negative lookahead", "^(?!b)a$", "lookahead"],
    ["a lookbehind", "(?<=a)b", "lookbehind"],
    ["a negative lookbehind", "(?<!a)b", "lookbehind"],
  ])("%s in pattern is named by its path", (_, pattern, word) => {
    expect(schemaProblems({ type: "object", properties: { u: { type: "string", pattern } } })).toEqual([
      { path: "schema.properties.u.pattern", message: expect.stringContaining(word) },
    ]);
  });

  it("a schema stored before this check, with a lookahead pattern, refuses strings saying why instead of running it", () => {
    expect(check({ type: "string", pattern: "^(?=a)a+$" }, "aaa")).toEqual([{ path: "payload", message: expect.stringContaining("cannot be run in linear time") }]);
  });

  it("a lookaround in a patternProperties key is named by its path", () => {
    expect(schemaProblems({ patternProperties: { "^(?!x)": true } })).toEqual([{ path: "schema.patternProperties.^(?!x)", message: expect.stringContaining("lookahead") }]);
  });

  it("a pattern inside enum, const, default or examples is data, not a pattern, and is accepted", () => {
    expect(schemaProblems({ enum: [{ pattern: "(?=x)" }], default: { pattern: "\\1" }, examples: [{ pattern: "(?<=a)" }] })).toEqual([]);
  });
});

/** Each asserted format with a value it accepts, one it refuses, and a long value that made a backtracking check take exponential time. */
const FORMAT_CASES: Array<[format: string, valid: string, invalid: string, hostile: string]> = [
  ["url", "https://example.com/a?b#c", "http://exa mple.com", `http://${"a".repeat(50_000)}!`],
  ["email", "ada@example.com", "ada@@example.com", `${"a".repeat(50_000)}@${"a-".repeat(50_000)}!`],
  ["uri", "https://example.com/x?y=1#z", "//no-scheme", `http://${"a".repeat(50_000)}\u0000`],
  ["uri-reference", "../x/y?z", "a b", `${"%aa".repeat(50_000)}%`],
  ["iri", "https://ex.com/ü", "ü:x", `http://${"ü".repeat(50_000)} `],
  ["iri-reference", "/ü/x", "a b", `/${"ü".repeat(50_000)} `],
  ["uri-template", "/users/{id}{?q,page}", "/users/{id", `${"{a}".repeat(50_000)}{`],
  ["hostname", "api.example.com", "-bad.example.com", `${"a.".repeat(50_000)}-`],
  ["date-time", "2026-12-07T12:30:00Z", "2026-02-30T12:30:00Z", `2026-12-07T12:30:00.${"1".repeat(100_000)}`],
  ["date", "2024-02-29", "2023-02-29", "2".repeat(100_000)],
  ["time", "23:59:60Z", "24:00:00Z", `12:30:00.${"9".repeat(100_000)}+`],
  ["duration", "P1Y2M3DT4H5M6S", "P1YT", `P${"1".repeat(100_000)}`],
  ["ipv4", "192.0.2.1", "192.0.2.256", "1.".repeat(50_000)],
  ["ipv6", "2001:db8::1", "2001:db8:::1", "1:".repeat(50_000)],
  ["uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-42661417400", "a".repeat(100_000)],
  ["regex", "^[a-z]+$", "^(a", `${"(".repeat(50_000)}a`],
  ["json-pointer", "/a/b~1c", "a/b", `${"/~0".repeat(50_000)}~`],
  ["json-pointer-uri-fragment", "#/a/b", "/a/b", `#${"/a".repeat(50_000)} `],
  ["relative-json-pointer", "1/a/b", "-1/a", `1${"/a".repeat(50_000)}~`],
];

describe("formats are checked in time linear in the value", () => {
  it.each(FORMAT_CASES)("format %s accepts a good value, refuses a bad one, and refuses a long hostile one at once", (format, valid, invalid, hostile) => {
    const schema = { type: "string", format };
    const refused = [{ path: "payload", message: `String does not match format "${format}".` }];
    expect(check(schema, valid)).toEqual([]);
    expect(check(schema, invalid)).toEqual(refused);
    expect(check(schema, hostile)).toEqual(refused);
  });

  it('the field report\'s `format: "url"` refuses "http://" + 30 a\'s + "!" at once', () => {
    expect(check({ type: "object", properties: { u: { type: "string", format: "url" } } }, { u: `http://${"a".repeat(30)}!` })).toEqual([
      { path: "payload.u", message: 'String does not match format "url".' },
    ]);
  });

  it("a format the relay does not assert is only an annotation", () => {
    expect(check({ format: "idn-hostname" }, "anything at all")).toEqual([]);
  });
});

describe("schemas whose validation work fans out", () => {
  it("the field report's 21-level $defs chain of allOf pairs is refused at creation, naming the $defs entry that fans out", () => {
    expect(schemaProblems(fanOutSchema(21))).toEqual([{ path: expect.stringMatching(/^schema\.\$defs\.l\d+$/), message: expect.stringContaining(`more than ${MAX_SCHEMAS_PER_VALUE} schemas`) }]);
  });

  it("a short chain that fans out to few schemas is accepted and checks as written", () => {
    expect(schemaProblems(fanOutSchema(5))).toEqual([]);
    expect(check(fanOutSchema(5), "x")).toEqual([]);
    expect(check(fanOutSchema(5), 1)[0]).toEqual({ path: "payload", message: 'Instance type "number" is invalid. Expected "string".' });
  });

  it("allOf and anyOf nested inline (no $ref) that fan out are refused at creation", () => {
    let nested: unknown = { type: "string" };
    for (let n = 0; n < 12; n++) nested = n % 2 ? { allOf: [nested, nested] } : { anyOf: [nested, nested] };
    expect(schemaProblems(nested)).toEqual([{ path: expect.stringMatching(/^schema(\.(allOf|anyOf)\.[01])*$/), message: expect.stringContaining("exponential") }]);
  });

  it("validation that still fans out through the payload's depth stops with ValidationTooComplex instead of running on", () => {
    // Each array level doubles the schemas applied below it: 2^depth, bounded only by the budget.
    const schema = { $defs: { t: { anyOf: [{ type: "array", items: { $ref: "#/$defs/t" } }, { type: "array", items: { $ref: "#/$defs/t" } }] } }, $ref: "#/$defs/t" };
    expect(schemaProblems(schema)).toEqual([]);
    let payload: unknown = [1];
    for (let n = 0; n < 30; n++) payload = [payload];
    expect(() => check(schema, payload)).toThrow(ValidationTooComplex);
    expect(check(schema, [[[]]])).toEqual([]);
  });

  it("an exhausted budget stops the check of a payload whose schema was never refused (stored before this check existed)", () => {
    expect(() => check(fanOutSchema(21), "x")).toThrow(ValidationTooComplex);
  });
});

describe("enum, const and uniqueItems compare by hashing, not pairwise", () => {
  const huge = Array.from({ length: 100_000 }, (_, i) => `value-${i}`);

  it("a huge enum checks every item of a large array", () => {
    const schema = { type: "array", items: { enum: huge } };
    expect(check(schema, huge.slice(0, 30_000))).toEqual([]);
    expect(check(schema, ["value-1", "nope"])).toEqual([{ path: "payload.1", message: "Instance does not match any of the 100000 values the schema allows." }]);
  });

  it("enum and const compare JSON values: key order does not matter, types do", () => {
    expect(check({ enum: [{ a: 1, b: [2] }] }, { b: [2], a: 1 })).toEqual([]);
    expect(check({ enum: [1, "1"] }, true)).toEqual([{ path: "payload", message: 'Instance does not match any of [1,"1"].' }]);
    expect(check({ const: { a: [1, { b: null }] } }, { a: [1, { b: null }] })).toEqual([]);
    expect(check({ const: 1 }, 1.0)).toEqual([]);
  });

  it("uniqueItems on a large array finds the duplicate and names both indexes", () => {
    const items = Array.from({ length: 100_000 }, (_, i) => ({ id: i, tags: [String(i)] }));
    expect(check({ type: "array", uniqueItems: true }, items)).toEqual([]);
    expect(check({ type: "array", uniqueItems: true }, [...items, { tags: ["7"], id: 7 }])).toEqual([{ path: "payload", message: "Duplicate items at indexes 7 and 100000." }]);
  });
});

describe("the keywords keep their meaning", () => {
  it("unevaluatedProperties sees what allOf, anyOf and if/then evaluated", () => {
    const schema = {
      allOf: [{ properties: { a: true } }],
      anyOf: [{ properties: { b: true } }, { required: ["zzz"] }],
      if: { required: ["c"] },
      then: { properties: { c: true } },
      unevaluatedProperties: false,
    };
    expect(check(schema, { a: 1, b: 2, c: 3 })).toEqual([]);
    expect(check(schema, { a: 1, d: 4 })).toEqual([{ path: "payload.d", message: "is not allowed by the schema" }]);
  });

  it("unevaluatedItems sees prefixItems and contains", () => {
    const schema = { prefixItems: [{ type: "integer" }], contains: { type: "string" }, unevaluatedItems: false };
    expect(check(schema, [1, "x", "y"])).toEqual([]);
    expect(check(schema, [1, "x", null])).toEqual([{ path: "payload.2", message: "is not allowed by the schema" }]);
  });

  it("oneOf, not, dependentRequired, minLength in code points and multipleOf with decimals", () => {
    expect(check({ oneOf: [{ type: "integer" }, { minimum: 0 }] }, 1)).toEqual([{ path: "payload", message: "Instance does not match exactly one subschema (2 matches)." }]);
    expect(check({ not: { type: "null" } }, null)).toEqual([{ path: "payload", message: 'Instance matched "not" schema.' }]);
    expect(check({ dependentRequired: { a: ["b"] } }, { a: 1 })).toEqual([{ path: "payload", message: 'Instance has "a" but does not have "b".' }]);
    expect(check({ maxLength: 1 }, "😀")).toEqual([]);
    expect(check({ multipleOf: 0.01 }, 19.99)).toEqual([]);
  });
});
