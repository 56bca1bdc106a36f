import type { ErrorIssue } from "../errors";
import { substringTest } from "../lib/substring";
import {
  MAX_FILTER_BYTES,
  MAX_FILTER_CONDITIONS,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LIST_VALUES,
  MAX_FILTER_PATH_SEGMENTS,
} from "../limits";

/**
 * An endpoint's payload filter (CONTRACT.md, "Delivery control"): a JSON object whose keys are
 * dotted paths into the payload (`customer.email`) or the combinators `$and`, `$or` (arrays of
 * filters) and `$not` (a filter). A path maps to a value (deep equality) or to an operator object
 * (`$eq $ne $gt $gte $lt $lte $in $nin $exists $startsWith $endsWith $contains`, all of which must
 * hold). A path that passes through an array looks into each element, and the value at the end of
 * a path that is an array matches equality when any element does. Comparisons never convert types.
 *
 * Work is bounded by construction, so no payload can stall fan-out: a filter has at most
 * MAX_FILTER_CONDITIONS path conditions of at most MAX_FILTER_PATH_SEGMENTS segments, and resolving
 * one path visits each payload node at most once per segment. Matching therefore costs at most
 * conditions × segments × payload nodes steps, plus string and equality checks linear in the
 * values they compare (operands are bounded by MAX_FILTER_BYTES): equality, `$in` and `$nin` look
 * at each value found once however many values they list (anyEquals), and `$contains` searches in
 * linear time (src/lib/substring.ts).
 */
export type PayloadFilter = { readonly [key: string]: unknown };

const COMBINATORS = new Set(["$and", "$or", "$not"]);
const OPERATORS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$startsWith", "$endsWith", "$contains"]);

type JsonObject = { readonly [key: string]: unknown };

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);
const isOperatorObject = (value: unknown): value is JsonObject =>
  isObject(value) && Object.keys(value).length > 0 && Object.keys(value).every((key) => key.startsWith("$"));

/** What a check of a filter found, with the number of path conditions seen so far. */
interface Check {
  issues: ErrorIssue[];
  conditions: number;
}

/**
 * The problems of a filter as the API's error issues, each path under `base` (`filter`, or
 * `filter.$and.0.customer`); empty when the filter is valid. `null` (match all) is valid.
 */
export function filterProblems(filter: unknown, base = "filter"): ErrorIssue[] {
  if (filter === null) return [];
  if (!isObject(filter)) return [{ path: base, message: "must be an object of conditions, or null to match every payload" }];
  const bytes = new TextEncoder().encode(JSON.stringify(filter)).length;
  if (bytes > MAX_FILTER_BYTES) return [{ path: base, message: `is ${bytes} bytes as JSON; a filter may have at most ${MAX_FILTER_BYTES}` }];
  const check: Check = { issues: [], conditions: 0 };
  checkFilter(filter, base, 1, check);
  if (check.conditions > MAX_FILTER_CONDITIONS) {
    check.issues.push({ path: base, message: `has ${check.conditions} conditions; a filter may have at most ${MAX_FILTER_CONDITIONS}` });
  }
  return check.issues;
}

function checkFilter(filter: JsonObject, path: string, depth: number, check: Check): void {
  if (depth > MAX_FILTER_DEPTH) {
    check.issues.push({ path, message: `nests $and, $or and $not deeper than ${MAX_FILTER_DEPTH} levels` });
    return;
  }
  for (const [key, value] of Object.entries(filter)) {
    const at = `${path}.${key}`;
    if (key === "$and" || key === "$or") checkFilterList(value, at, depth, check);
    else if (key === "$not") checkNested(value, at, depth, check);
    else if (key.startsWith("$")) check.issues.push({ path: at, message: `${key} is not an operator here: use $and, $or or $not, or a dotted path` });
    else checkCondition(key, value, at, check);
  }
}

function checkFilterList(value: unknown, path: string, depth: number, check: Check): void {
  if (!Array.isArray(value) || value.length === 0) {
    check.issues.push({ path, message: "must be a non-empty array of filters" });
    return;
  }
  value.forEach((item, i) => checkNested(item, `${path}.${i}`, depth, check));
}

function checkNested(value: unknown, path: string, depth: number, check: Check): void {
  if (!isObject(value)) check.issues.push({ path, message: "must be a filter object" });
  else checkFilter(value, path, depth + 1, check);
}

function checkCondition(fieldPath: string, value: unknown, at: string, check: Check): void {
  check.conditions += 1;
  const segments = fieldPath.split(".");
  if (segments.some((segment) => segment === "")) check.issues.push({ path: at, message: "is not a dotted path: a segment is empty" });
  if (segments.length > MAX_FILTER_PATH_SEGMENTS) {
    check.issues.push({ path: at, message: `has ${segments.length} segments; a path may have at most ${MAX_FILTER_PATH_SEGMENTS}` });
  }
  const keys = isObject(value) ? Object.keys(value) : [];
  const operators = keys.filter((key) => key.startsWith("$"));
  if (!isObject(value) || operators.length === 0) {
    // A literal (an object without operators too): equality.
    if (hasUnstorableNumber(value)) check.issues.push({ path: at, message: UNSTORABLE_NUMBER });
    return;
  }
  if (operators.length !== keys.length) {
    check.issues.push({ path: at, message: "mixes operators ($…) and field names: use operators only, or a value to compare with" });
    return;
  }
  for (const operator of operators) checkOperator(operator, value[operator], `${at}.${operator}`, check);
}

function checkOperator(operator: string, operand: unknown, path: string, check: Check): void {
  const problem = operandProblem(operator, operand) ?? (hasUnstorableNumber(operand) ? UNSTORABLE_NUMBER : null);
  if (problem) check.issues.push({ path, message: problem });
}

const UNSTORABLE_NUMBER = "holds a number beyond a double's range (such as 1e400), which JSON would store as null";

/**
 * Whether a JSON value holds a number JSON.parse read as ±Infinity: a filter stores its JSON text,
 * where that number would turn into null and the stored filter mean something else than the one
 * checked. Recursion is bounded by the filter's byte limit, checked first.
 */
function hasUnstorableNumber(value: unknown): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  if (Array.isArray(value)) return value.some(hasUnstorableNumber);
  return isObject(value) && Object.values(value).some(hasUnstorableNumber);
}

/** Why `operand` does not suit `operator`, or null when it does. */
function operandProblem(operator: string, operand: unknown): string | null {
  if (!OPERATORS.has(operator)) {
    return COMBINATORS.has(operator)
      ? `${operator} combines whole filters: put it at the top of a filter, not under a path`
      : `${operator} is not a known operator (known: ${[...OPERATORS].join(" ")})`;
  }
  switch (operator) {
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      return typeof operand === "number" || typeof operand === "string" ? null : "must be a number or a string";
    case "$in":
    case "$nin":
      if (!Array.isArray(operand)) return "must be an array of values";
      return operand.length <= MAX_FILTER_LIST_VALUES ? null : `may list at most ${MAX_FILTER_LIST_VALUES} values`;
    case "$exists":
      return typeof operand === "boolean" ? null : "must be true or false";
    case "$startsWith":
    case "$endsWith":
      return typeof operand === "string" ? null : "must be a string";
    default:
      return null; // $eq, $ne, $contains take any JSON value
  }
}

/**
 * Whether `payload` (parsed JSON) passes `filter`; `null` passes every payload. The filter must be
 * one that filterProblems found valid (a stored filter always is).
 */
export function matchesFilter(filter: PayloadFilter | null, payload: unknown): boolean {
  if (filter === null) return true;
  return Object.entries(filter).every(([key, value]) => {
    if (key === "$and") return (value as PayloadFilter[]).every((item) => matchesFilter(item, payload));
    if (key === "$or") return (value as PayloadFilter[]).some((item) => matchesFilter(item, payload));
    if (key === "$not") return !matchesFilter(value as PayloadFilter, payload);
    const found = valuesAt(payload, key.split("."));
    if (!isOperatorObject(value)) return anyEquals(candidatesOf(found), [value]);
    return Object.entries(value).every(([operator, operand]) => holds(operator, operand, found));
  });
}

/** Every value at `segments` below `value`: an array is looked into element by element, or indexed by a number segment. */
function valuesAt(value: unknown, segments: string[]): unknown[] {
  const found: unknown[] = [];
  const walk = (node: unknown, i: number): void => {
    if (i === segments.length) {
      found.push(node);
      return;
    }
    const segment = segments[i]!;
    if (Array.isArray(node)) {
      if (/^\d+$/.test(segment) && Number(segment) < node.length) walk(node[Number(segment)], i + 1);
      for (const element of node) if (isObject(element)) walk(element, i);
    } else if (isObject(node) && Object.hasOwn(node, segment)) {
      walk(node[segment], i + 1);
    }
  };
  walk(value, 0);
  return found;
}

/** The values found, and the elements of those that are arrays: what equality-like operators compare with. */
const candidatesOf = (found: unknown[]): unknown[] => found.flatMap((value) => (Array.isArray(value) ? [value, ...value] : [value]));

function holds(operator: string, operand: unknown, found: unknown[]): boolean {
  const candidates = candidatesOf(found);
  switch (operator) {
    case "$eq":
      return anyEquals(candidates, [operand]);
    case "$ne":
      return !anyEquals(candidates, [operand]);
    case "$in":
      return anyEquals(candidates, operand as unknown[]);
    case "$nin":
      return !anyEquals(candidates, operand as unknown[]);
    case "$exists":
      return found.length > 0 === operand;
    case "$startsWith":
      return candidates.some((value) => typeof value === "string" && value.startsWith(operand as string));
    case "$endsWith":
      return candidates.some((value) => typeof value === "string" && value.endsWith(operand as string));
    case "$contains": {
      const inText = typeof operand === "string" ? substringTest(operand) : () => false;
      return found.some((value) => (typeof value === "string" ? inText(value) : Array.isArray(value) && anyEquals(value, [operand])));
    }
    default:
      return candidates.some((value) => compares(operator, value, operand));
  }
}

/** `$gt $gte $lt $lte` between two numbers or two strings; any other pair never compares. */
function compares(operator: string, value: unknown, operand: unknown): boolean {
  const sameType = (typeof value === "number" && typeof operand === "number") || (typeof value === "string" && typeof operand === "string");
  if (!sameType) return false;
  const [a, b] = [value as number | string, operand as number | string];
  if (operator === "$gt") return a > b;
  if (operator === "$gte") return a >= b;
  if (operator === "$lt") return a < b;
  return a <= b;
}

const isComposite = (value: unknown): value is object => typeof value === "object" && value !== null;

/**
 * Whether any of `candidates` equals (same type, same members; object key order aside) any of
 * `operands`. Each candidate is looked at once, whatever the number of operands: a scalar is looked
 * up in a set of the scalar operands, an array or object is written once as canonical text, cut off
 * as soon as it is longer than the longest operand's, and looked up among the operands' texts. So
 * an `$in` of 100 values over a long array costs one pass over it, not one per value.
 */
function anyEquals(candidates: unknown[], operands: unknown[]): boolean {
  const scalars = new Set(operands.filter((operand) => !isComposite(operand)));
  const texts = new Set(operands.filter(isComposite).map((operand) => canonicalText(operand, Infinity)!));
  const limit = Math.max(0, ...[...texts].map((text) => text.length));
  return candidates.some((value) => {
    if (!isComposite(value)) return scalars.has(value);
    if (texts.size === 0) return false;
    const text = canonicalText(value, limit);
    return text !== undefined && texts.has(text);
  });
}

/**
 * A JSON value as text with every object's keys sorted, so equal values read alike; or undefined as
 * soon as the text is longer than `limit` characters (no equal operand is that long). Numbers are
 * written by String(), so one beyond a double's range in a payload (JSON.parse reads 1e400 as
 * Infinity) never reads as null. Work is at most the value's size, and stops near `limit`.
 */
function canonicalText(value: unknown, limit: number): string | undefined {
  const parts: string[] = [];
  let length = 0;
  const write = (text: string): boolean => {
    parts.push(text);
    length += text.length;
    return length <= limit;
  };
  const visit = (node: unknown): boolean => {
    if (typeof node === "number") return write(String(node));
    if (!isComposite(node)) return write(JSON.stringify(node));
    if (Array.isArray(node)) {
      if (!write("[")) return false;
      for (let i = 0; i < node.length; i++) if (!(i === 0 || write(",")) || !visit(node[i])) return false;
      return write("]");
    }
    const record = node as JsonObject;
    if (!write("{")) return false;
    const keys = Object.keys(record).sort();
    for (let i = 0; i < keys.length; i++) {
      if (!(i === 0 || write(",")) || !write(JSON.stringify(keys[i])) || !write(":") || !visit(record[keys[i]!])) return false;
    }
    return write("}");
  };
  return visit(value) ? parts.join("") : undefined;
}

/** The dotted payload paths a valid filter looks at, each once (the dashboard checks them against a type's schema). */
export function filterPaths(filter: PayloadFilter | null): string[] {
  const paths = new Set<string>();
  const collect = (node: PayloadFilter): void => {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$and" || key === "$or") (value as PayloadFilter[]).forEach(collect);
      else if (key === "$not") collect(value as PayloadFilter);
      else paths.add(key);
    }
  };
  if (filter) collect(filter);
  return [...paths];
}
