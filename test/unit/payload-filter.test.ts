import { describe, expect, it } from "vitest";
import { filterPaths, filterProblems, matchesFilter, type PayloadFilter } from "../../src/filters/payload-filter";

const invoice = {
  type: "invoice",
  total: 1200,
  currency: "EUR",
  customer: { email: "ana@example.com", tier: "gold", tags: ["vip", "eu"] },
  lines: [
    { sku: "A-1", qty: 2 },
    { sku: "B-7", qty: 1 },
  ],
  note: null,
};

const matches = (filter: PayloadFilter | null, payload: unknown = invoice) => matchesFilter(filter, payload);
const pathsOf = (filter: unknown) => filterProblems(filter).map((issue) => issue.path);

describe("matching a payload", () => {
  it("passes every payload when the filter is null", () => {
    expect(matches(null, "anything")).toBe(true);
  });

  it("compares a dotted path with a value for equality", () => {
    expect(matches({ "customer.tier": "gold" })).toBe(true);
    expect(matches({ "customer.tier": "silver" })).toBe(false);
  });

  it("requires every condition of a filter to hold", () => {
    expect(matches({ type: "invoice", currency: "EUR" })).toBe(true);
    expect(matches({ type: "invoice", currency: "USD" })).toBe(false);
  });

  it("matches a path through an array when any element matches", () => {
    expect(matches({ "lines.sku": "B-7" })).toBe(true);
    expect(matches({ "lines.sku": "Z-9" })).toBe(false);
  });

  it("matches an array value when any element equals the value, or the whole array does", () => {
    expect(matches({ "customer.tags": "vip" })).toBe(true);
    expect(matches({ "customer.tags": ["vip", "eu"] })).toBe(true);
    expect(matches({ "customer.tags": "us" })).toBe(false);
  });

  it("indexes an array with a number segment", () => {
    expect(matches({ "lines.0.sku": "A-1" })).toBe(true);
    expect(matches({ "lines.1.sku": "A-1" })).toBe(false);
  });

  it("compares objects by their members, whatever their key order", () => {
    expect(matches({ "lines.0": { qty: 2, sku: "A-1" } })).toBe(true);
    expect(matches({ "lines.0": { sku: "A-1" } })).toBe(false);
  });

  it("never converts types when comparing", () => {
    expect(matches({ total: { $gte: 100 } }, { total: "1000" })).toBe(false);
    expect(matches({ total: "1200" })).toBe(false);
    expect(matches({ total: { $gte: 100 } })).toBe(true);
  });

  it("orders strings lexicographically, so RFC 3339 times compare as times", () => {
    const payload = { at: "2026-12-07T10:00:00Z" };
    expect(matches({ at: { $gte: "2026-12-01T00:00:00Z", $lt: "2027-01-01T00:00:00Z" } }, payload)).toBe(true);
    expect(matches({ at: { $lt: "2026-12-01T00:00:00Z" } }, payload)).toBe(false);
  });

  it("applies $gt, $gte, $lt and $lte to numbers", () => {
    expect(matches({ total: { $gt: 1200 } })).toBe(false);
    expect(matches({ total: { $gte: 1200 } })).toBe(true);
    expect(matches({ total: { $lt: 1200 } })).toBe(false);
    expect(matches({ total: { $lte: 1200 } })).toBe(true);
  });

  it("treats $ne and $nin as true for a missing field", () => {
    expect(matches({ missing: { $ne: "x" } })).toBe(true);
    expect(matches({ missing: { $nin: ["x"] } })).toBe(true);
    expect(matches({ currency: { $ne: "EUR" } })).toBe(false);
  });

  it("matches $in when the value equals one of the listed values", () => {
    expect(matches({ currency: { $in: ["USD", "EUR"] } })).toBe(true);
    expect(matches({ currency: { $nin: ["USD", "EUR"] } })).toBe(false);
  });

  it("tells a present null from a missing field with $exists", () => {
    expect(matches({ note: { $exists: true } })).toBe(true);
    expect(matches({ absent: { $exists: false } })).toBe(true);
    expect(matches({ absent: { $exists: true } })).toBe(false);
  });

  it("matches $startsWith and $endsWith on strings only", () => {
    expect(matches({ "customer.email": { $endsWith: "@example.com" } })).toBe(true);
    expect(matches({ "lines.sku": { $startsWith: "B-" } })).toBe(true);
    expect(matches({ total: { $startsWith: "12" } })).toBe(false);
  });

  it("matches $contains on a substring of a string or an element of an array", () => {
    expect(matches({ "customer.email": { $contains: "ana@" } })).toBe(true);
    expect(matches({ "customer.tags": { $contains: "eu" } })).toBe(true);
    expect(matches({ "customer.tags": { $contains: "e" } })).toBe(false);
  });

  it("combines filters with $and, $or and $not", () => {
    expect(matches({ $or: [{ currency: "USD" }, { "customer.tier": "gold" }] })).toBe(true);
    expect(matches({ $and: [{ currency: "EUR" }, { total: { $lt: 1000 } }] })).toBe(false);
    expect(matches({ $not: { currency: "EUR" } })).toBe(false);
  });

  it("does not find inherited properties such as constructor", () => {
    expect(matches({ constructor: { $exists: true } }, {})).toBe(false);
    expect(matches({ "a.__proto__": { $exists: true } }, { a: {} })).toBe(false);
  });

  it("matches a scalar payload only through paths, never through itself", () => {
    expect(matches({ a: 1 }, 1)).toBe(false);
  });
});

describe("checking a filter", () => {
  it("accepts null and every operator with a suitable operand", () => {
    expect(filterProblems(null)).toEqual([]);
    const all = {
      a: { $eq: 1, $ne: [1], $gt: 1, $gte: "a", $lt: 2, $lte: "b", $in: [1, "x"], $nin: [], $exists: true },
      b: { $startsWith: "x", $endsWith: "y", $contains: { k: 1 } },
      $and: [{ c: 1 }],
      $or: [{ d: null }],
      $not: { e: { f: 1 } },
    };
    expect(filterProblems(all)).toEqual([]);
  });

  it("refuses an unknown operator, naming its path under filter", () => {
    expect(filterProblems({ "customer.email": { $regex: "^a" } })).toEqual([
      { path: "filter.customer.email.$regex", message: expect.stringContaining("$regex is not a known operator") },
    ]);
  });

  it("refuses an unknown combinator at the top of a filter", () => {
    expect(pathsOf({ $nor: [{ a: 1 }] })).toEqual(["filter.$nor"]);
  });

  it("refuses a combinator placed under a path", () => {
    expect(pathsOf({ a: { $or: [1, 2] } })).toEqual(["filter.a.$or"]);
  });

  it("refuses an operand of the wrong type for its operator", () => {
    expect(pathsOf({ a: { $gt: true }, b: { $in: "x" }, c: { $exists: 1 }, d: { $startsWith: 5 } })).toEqual([
      "filter.a.$gt",
      "filter.b.$in",
      "filter.c.$exists",
      "filter.d.$startsWith",
    ]);
  });

  it("refuses an operator object that mixes operators and field names", () => {
    expect(pathsOf({ a: { $gt: 1, b: 2 } })).toEqual(["filter.a"]);
  });

  it("refuses $and and $or that are not non-empty arrays of filter objects", () => {
    expect(pathsOf({ $and: [] })).toEqual(["filter.$and"]);
    expect(pathsOf({ $or: [{ a: 1 }, "b"] })).toEqual(["filter.$or.1"]);
    expect(pathsOf({ $not: [] })).toEqual(["filter.$not"]);
  });

  it("refuses a filter that is not an object", () => {
    expect(pathsOf([{ a: 1 }])).toEqual(["filter"]);
    expect(pathsOf("a = 1")).toEqual(["filter"]);
  });

  it("refuses a path with an empty segment", () => {
    expect(pathsOf({ "customer..email": "x" })).toEqual(["filter.customer..email"]);
  });

  it("refuses more conditions than a filter may have", () => {
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`f${i}`, i]));
    expect(filterProblems(many)).toEqual([{ path: "filter", message: expect.stringContaining("at most 32") }]);
  });

  it("refuses combinators nested deeper than the limit", () => {
    let deep: PayloadFilter = { a: 1 };
    for (let i = 0; i < 9; i++) deep = { $not: deep };
    expect(filterProblems(deep)).toHaveLength(1);
    expect(filterProblems(deep)[0]!.message).toContain("deeper than 8");
  });

  it("refuses a filter larger than its byte limit", () => {
    expect(filterProblems({ a: "x".repeat(5000) })[0]!.message).toContain("at most 4096");
  });

  it("refuses an $in list longer than its limit", () => {
    expect(pathsOf({ a: { $in: Array.from({ length: 101 }, (_, i) => i) } })).toEqual(["filter.a.$in"]);
  });

  it("refuses a number beyond a double's range, which would be stored as null", () => {
    const filter = JSON.parse('{"a": {"$gt": 1e400}, "b": -1e400, "c": {"$in": [1, 1e400]}, "d": {"e": [1e999]}}');
    expect(pathsOf(filter)).toEqual(["filter.a.$gt", "filter.b", "filter.c.$in", "filter.d"]);
  });
});

describe("the paths of a filter", () => {
  it("lists each payload path once, from every combinator", () => {
    expect(filterPaths({ a: 1, $or: [{ "b.c": 2 }, { a: 3 }], $not: { d: { $exists: true } } })).toEqual(["a", "b.c", "d"]);
  });
});

/** `items` as an array that counts how often its elements are read. */
function countingArray(items: unknown[]) {
  const reads = { count: 0 };
  const array = new Proxy(items, {
    get(target, key, receiver) {
      if (typeof key === "string" && /^\d+$/.test(key)) reads.count += 1;
      return Reflect.get(target, key, receiver);
    },
  });
  return { array, reads };
}

describe("the work of matching", () => {
  it("an $in of 100 values reads a long array's elements a few times, not once per listed value", () => {
    const { array, reads } = countingArray(Array.from({ length: 1000 }, (_, i) => i));
    expect(matches({ a: { $in: Array.from({ length: 100 }, (_, i) => -1 - i) } }, { a: array })).toBe(false);
    expect(reads.count).toBeLessThanOrEqual(3 * 1000);
  });

  it("an $nin of 100 objects reads a long array's elements a few times, not once per listed value", () => {
    const { array, reads } = countingArray(Array.from({ length: 1000 }, (_, i) => ({ k: i })));
    expect(matches({ a: { $nin: Array.from({ length: 100 }, (_, i) => ({ k: -1 - i })) } }, { a: array })).toBe(true);
    expect(reads.count).toBeLessThanOrEqual(3 * 1000);
  });

  it("still finds a listed object among an array's elements, whatever its key order", () => {
    expect(matches({ lines: { $in: [{ qty: 1, sku: "B-7" }, { sku: "Z" }] } })).toBe(true);
    expect(matches({ lines: { $in: [{ qty: 1, sku: "A-1" }] } })).toBe(false);
  });

  it("finds a long $contains operand in a string whatever its near misses, and only where it occurs", () => {
    const operand = `ab${"a".repeat(100)}`;
    const nearMisses = "a".repeat(5000);
    expect(matches({ s: { $contains: operand } }, { s: nearMisses })).toBe(false);
    expect(matches({ s: { $contains: operand } }, { s: `${nearMisses}b${nearMisses}` })).toBe(true);
    expect(matches({ s: { $contains: operand } }, { s: `${nearMisses}b${"a".repeat(99)}` })).toBe(false);
    expect(matches({ s: { $contains: "abcabcabd-long-operand" } }, { s: "xxabcabcabcabd-long-operandxx" })).toBe(true);
    expect(matches({ s: { $contains: "abcabcabd-long-operand" } }, { s: "xxabcabcabcabd-long-operanxx" })).toBe(false);
  });

  it("never takes a number beyond a double's range in the payload for null", () => {
    expect(matches({ a: null }, JSON.parse('{"a": 1e400}'))).toBe(false);
    expect(matches({ a: { $in: [null] } }, JSON.parse('{"a": [1e400]}'))).toBe(false);
    expect(matches({ a: [null] }, JSON.parse('{"a": [1e400]}'))).toBe(false);
  });
});

describe("paths through nested arrays", () => {
  it("find a value among 200 × 200 nested elements", () => {
    const payload = { rows: Array.from({ length: 200 }, () => ({ cells: Array.from({ length: 200 }, (_, j) => ({ v: j })) })) };
    expect(matches({ "rows.cells.v": 199 }, payload)).toBe(true);
    expect(matches({ "rows.cells.v": 200 }, payload)).toBe(false);
  });
});
