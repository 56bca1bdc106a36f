import type { ErrorIssue } from "../errors";
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
 * values they compare (operands are bounded by MAX_FILTER_BYTES).
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
  if (!isObject(value)) return; // a literal: equality
  const keys = Object.keys(value);
  const operators = keys.filter((key) => key.startsWith("$"));
  if (operators.length === 0) return; // an object literal: deep equality
  if (operators.length !== keys.length) {
    check.issues.push({ path: at, message: "mixes operators ($…) and field names: use operators only, or a value to compare with" });
    return;
  }
  for (const operator of operators) checkOperator(operator, value[operator], `${at}.${operator}`, check);
}

function checkOperator(operator: string, operand: unknown, path: string, check: Check): void {
  const problem = operandProblem(operator, operand);
  if (problem) check.issues.push({ path, message: problem });
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
    if (!isOperatorObject(value)) return equalsAny(found, value);
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

const equalsAny = (found: unknown[], operand: unknown): boolean => candidatesOf(found).some((value) => jsonEqual(value, operand));

function holds(operator: string, operand: unknown, found: unknown[]): boolean {
  const candidates = candidatesOf(found);
  switch (operator) {
    case "$eq":
      return equalsAny(found, operand);
    case "$ne":
      return !equalsAny(found, operand);
    case "$in":
      return (operand as unknown[]).some((item) => equalsAny(found, item));
    case "$nin":
      return !(operand as unknown[]).some((item) => equalsAny(found, item));
    case "$exists":
      return found.length > 0 === operand;
    case "$startsWith":
      return candidates.some((value) => typeof value === "string" && value.startsWith(operand as string));
    case "$endsWith":
      return candidates.some((value) => typeof value === "string" && value.endsWith(operand as string));
    case "$contains":
      return found.some((value) => contains(value, operand));
    default:
      return candidates.some((value) => compares(operator, value, operand));
  }
}

function contains(value: unknown, operand: unknown): boolean {
  if (typeof value === "string") return typeof operand === "string" && value.includes(operand);
  return Array.isArray(value) && value.some((element) => jsonEqual(element, operand));
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

/** Equality of two JSON values: same type, same members; object key order does not matter. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
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
