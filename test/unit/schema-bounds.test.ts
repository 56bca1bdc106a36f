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

describe("a pattern's matching work counts against the budget in proportion to its automaton", () => {
  // re2js is linear in the string, but each character costs work in proportion to the pattern's
  // compiled program: "a.{999}c" took ~13 s of CPU on a 250 KB string charged as ~16,000 steps.
  const randomAb = (length: number) => {
    let text = "";
    let seed = 12345;
    for (let i = 0; i < length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      text += (seed >> 16) & 1 ? "a" : "b";
    }
    return text;
  };

  it('a long string under a pattern with a large program ("a.{999}c") is too complex, not matched for seconds', () => {
    expect(() => check({ type: "string", pattern: "a.{999}c" }, `${randomAb(100_000)}c`)).toThrow(ValidationTooComplex);
  });

  it("a long property name under a patternProperties key with a large program is too complex", () => {
    expect(() => check({ patternProperties: { "a[ab]{500}c": true } }, { [`${randomAb(100_000)}c`]: 1 })).toThrow(ValidationTooComplex);
  });

  it("a string of 50,000 characters under a small pattern is still checked", () => {
    expect(check({ type: "string", pattern: "^[ab]+$" }, randomAb(50_000))).toEqual([]);
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

describe("work that grows with an object's size or a keyword's list counts against the budget", () => {
  // Each case below took seconds to a minute of CPU while charged a few thousand steps.
  const emptyObjects = (count: number) => Array.from({ length: count }, () => ({}));
  const wideObject = (keys: number) => Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, 0]));

  it("a dependentRequired of 20,000 names applied to 87,000 empty objects looks up each object's own names, not the 20,000", () => {
    // Was ~60 s: every object was asked for every name.
    const dependentRequired = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, []]));
    expect(check({ type: "array", items: { dependentRequired } }, emptyObjects(87_000))).toEqual([]);
  });

  it("a dependentSchemas of 999 names applied to 87,000 empty objects looks up each object's own names", () => {
    const dependentSchemas = Object.fromEntries(Array.from({ length: 999 }, (_, i) => [`k${i}`, true]));
    expect(check({ type: "array", items: { dependentSchemas } }, emptyObjects(87_000))).toEqual([]);
  });

  it("a required list of 20,000 names applied 499 times to one object that has them all counts against the budget", () => {
    // Was ~4 s of lookups charged 499 steps.
    const required = Array.from({ length: 20_000 }, (_, i) => `k${i}`);
    const schema = { $defs: { r: { required } }, allOf: Array.from({ length: 499 }, () => ({ $ref: "#/$defs/r" })) };
    expect(schemaProblems(schema)).toEqual([]);
    expect(() => check(schema, wideObject(20_000))).toThrow(ValidationTooComplex);
  });

  it("999 schemas applied to one object of 25,000 properties list its properties once, not once per schema", () => {
    // Was ~20 s: each schema listed the object's keys afresh.
    expect(check({ allOf: Array.from({ length: 999 }, (_, i) => ({ minProperties: i % 2 })) }, wideObject(25_000))).toEqual([]);
  });

  it("chains of in-place schemas under unevaluatedProperties over a large object count the evaluated names they pass up", () => {
    // Was ~16 s: each of 3 chains of 60 levels copied the 25,000 evaluated names at every level.
    const $defs: Record<string, unknown> = { l0: { additionalProperties: true } };
    for (let i = 1; i <= 60; i++) $defs[`l${i}`] = { allOf: [{ $ref: `#/$defs/l${i - 1}` }] };
    const schema = { $defs, allOf: Array.from({ length: 3 }, () => ({ $ref: "#/$defs/l60" })), unevaluatedProperties: false };
    expect(schemaProblems(schema)).toEqual([]);
    expect(() => check(schema, wideObject(25_000))).toThrow(ValidationTooComplex);
    expect(check(schema, wideObject(100))).toEqual([]);
  });

  it("dependentRequired and dependentSchemas still apply to the names an object has", () => {
    const dependentRequired = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, ["needed"]]));
    expect(check({ dependentRequired }, { k4999: 1 })).toEqual([{ path: "payload", message: 'Instance has "k4999" but does not have "needed".' }]);
    expect(check({ dependentRequired }, { k4999: 1, needed: 2 })).toEqual([]);
    expect(check({ dependentSchemas: { a: { required: ["b"] } } }, { a: 1 })).toEqual([{ path: "payload", message: 'Instance does not have required property "b".' }]);
  });
});

describe("enum, const and uniqueItems compare by hashing, not pairwise", () => {
  const huge = Array.from({ length: 100_000 }, (_, i) => `value-${i}`);

  it("a huge enum checks every item of a large array", () => {
    const schema = { type: "array", items: { enum: huge } };
    expect(check(schema, huge.slice(0, 30_000))).toEqual([]);
    expect(check(schema, ["value-1", "nope"])).toEqual([{ path: "payload.1", message: "Instance does not match any of the 100000 values the schema allows." }]);
  });

  it("a huge enum or const inside anyOf, failing on every item of a large array, costs no more than matching", () => {
    // Was ~1.3 ms per item: the failure message stringified the whole enum even where no message is kept.
    const items = Array(50_000).fill(0);
    expect(check({ items: { anyOf: [{ enum: huge }, { type: "integer" }] } }, items)).toEqual([]);
    expect(check({ items: { anyOf: [{ const: huge }, { type: "integer" }] } }, items)).toEqual([]);
  });

  it("a long const is not repeated in its failure message", () => {
    expect(check({ const: huge }, 1)).toEqual([{ path: "payload", message: "Instance does not match the value the schema's const requires." }]);
  });

  it("enum and const compare JSON values: key order does not matter, types do", () => {
    expect(check({ enum: [{ a: 1, b: [2] }] }, { b: [2], a: 1 })).toEqual([]);
    expect(check({ enum: [1, "1"] }, true)).toEqual([{ path: "payload", message: 'Instance does not match any of [1,"1"].' }]);
    expect(check({ const: { a: [1, { b: null }] } }, { a: [1, { b: null }] })).toEqual([]);
    expect(check({ const: 1 }, 1.0)).toEqual([]);
  });

  it("uniqueItems on a large array finds the duplicate and names both indexes", () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ id: i, tags: [String(i)] }));
    expect(check({ type: "array", uniqueItems: true }, items)).toEqual([]);
    expect(check({ type: "array", uniqueItems: true }, [...items, { tags: ["7"], id: 7 }])).toEqual([{ path: "payload", message: "Duplicate items at indexes 7 and 10000." }]);
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

  it("multipleOf refuses a large number that is not a multiple, however large its quotient", () => {
    expect(check({ type: "integer", multipleOf: 2 }, 300_000_001)).toEqual([{ path: "payload", message: "300000001 is not a multiple of 2." }]);
    expect(check({ multipleOf: 100 }, 20_000_000_001)).toHaveLength(1);
    expect(check({ multipleOf: 0.5 }, 100_000_000.25)).toHaveLength(1);
    expect(check({ multipleOf: 100 }, 20_000_000_000)).toEqual([]);
    expect(check({ multipleOf: 0.1 }, 0.3)).toEqual([]);
  });

  it("a pattern may write a character beyond U+FFFF as a surrogate pair of \\u escapes, as ECMA-262 with the u flag reads it", () => {
    expect(check({ type: "string", pattern: "^\\ud83d\\ude00$" }, "😀")).toEqual([]);
    expect(check({ type: "string", pattern: "^[\\ud83d\\ude00]+$" }, "😀😀")).toEqual([]);
    expect(check({ type: "string", pattern: "^\\ud83d\\ude00$" }, "😁")).toHaveLength(1);
  });
});
