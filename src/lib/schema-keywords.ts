import { formatSteps } from "./formats";
import { UNRUNNABLE, type Node } from "./schema-node";
import { STOP, type Evaluated, type Outcome, type Tally } from "./schema-outcome";
import type { Validation } from "./schema-validation";

/*
 * The keywords that apply to one JSON type (object, array, number, string), checked within a
 * Validation: each returns what it found, and stops at the first failure that ends the check.
 */

/** Length in Unicode code points, as `minLength` / `maxLength` count. */
function codePoints(s: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        surrogatePairs += 1;
        i += 1;
      }
    }
  }
  return s.length - surrogatePairs;
}

/** Whether `value` is an integer multiple of `divisor`, within rounding for decimal divisors. */
function isMultipleOf(value: number, divisor: number): boolean {
  if (Number.isInteger(value) && Number.isInteger(divisor)) return value % divisor === 0;
  const quotient = value / divisor;
  if (!Number.isFinite(quotient)) return false;
  // Decimal divisors (0.01) are not exact in binary: accept a quotient within a few units of
  // rounding of an integer. The tolerance is relative to the quotient but far below 0.5, so a
  // large quotient (300000001 / 2) is not waved through.
  return Math.abs(quotient - Math.round(quotient)) <= 8 * Number.EPSILON * Math.max(1, Math.abs(quotient));
}

/** The object keywords of `node` on `value`, in schema keyword order. */
export function checkObject(v: Validation, value: Record<string, unknown>, node: Node, report: boolean, mine: Evaluated | null): Outcome {
  const tally = v.tally(report);
  const failed = tally.failed;
  const keys = v.keysOf(value);
  if (node.required) {
    v.chargeLookups(node.required.length);
    for (const key of node.required) if (!Object.hasOwn(value, key) && failed(`Instance does not have required property "${key}".`)) return STOP;
  }
  if (node.minProperties !== null && keys.length < node.minProperties && failed(`Instance does not have at least ${node.minProperties} properties.`)) return STOP;
  if (node.maxProperties !== null && keys.length > node.maxProperties && failed(`Instance has more than ${node.maxProperties} properties.`)) return STOP;
  if (node.propertyNames) {
    for (const key of keys) if (!v.checkChild(key, key, node.propertyNames, false) && failed(`Property name "${key}" does not match schema.`)) return STOP;
  }
  if (node.dependentRequired) {
    for (const key of v.namesPresent(node.dependentRequired, value, keys)) {
      const needed = node.dependentRequired.get(key)!;
      v.chargeLookups(needed.length);
      for (const other of needed) if (!Object.hasOwn(value, other) && failed(`Instance has "${key}" but does not have "${other}".`)) return STOP;
    }
  }
  if (node.dependentSchemas) {
    for (const key of v.namesPresent(node.dependentSchemas, value, keys)) if (!v.check(value, node.dependentSchemas.get(key)!, report, mine) && failed(null)) return STOP;
  }
  if ((node.properties || node.patternProperties || node.additionalProperties) && checkProperties(v, value, keys, node, report, mine, tally)) return STOP;
  if (node.unevaluatedProperties && mine) {
    v.chargeLookups(keys.length);
    for (const key of keys) {
      if (mine.properties.has(key)) continue;
      if (!v.checkChild(value[key], key, node.unevaluatedProperties, report) && failed(null)) return STOP;
      mine.properties.add(key);
    }
  }
  return tally.outcome;
}

/** The array keywords of `node` on `value`, in schema keyword order. */
export function checkArray(v: Validation, value: unknown[], node: Node, report: boolean, mine: Evaluated | null): Outcome {
  const tally = v.tally(report);
  const failed = tally.failed;
  const length = value.length;
  if (node.maxItems !== null && length > node.maxItems && failed(`Array has too many items (${length} > ${node.maxItems}).`)) return STOP;
  if (node.minItems !== null && length < node.minItems && failed(`Array has too few items (${length} < ${node.minItems}).`)) return STOP;
  const prefix = node.prefixItems ?? [];
  const upTo = Math.min(prefix.length, length);
  for (let i = 0; i < upTo; i++) if (!v.checkChild(value[i], i, prefix[i]!, report) && failed(null)) return STOP;
  if (mine) mine.itemsBelow = Math.max(mine.itemsBelow, upTo);
  if (node.items) {
    for (let i = prefix.length; i < length; i++) if (!v.checkChild(value[i], i, node.items, report) && failed(null)) return STOP;
    if (mine) mine.itemsBelow = length;
  }
  if (node.contains) {
    let contained = 0;
    for (let i = 0; i < length; i++) {
      if (!v.checkChild(value[i], i, node.contains, false)) continue;
      contained += 1;
      mine?.items.add(i);
    }
    const min = node.minContains;
    if (contained < min && failed(min === 1 ? "Array does not contain item matching schema." : `Array must contain at least ${min} items matching schema. Only ${contained} items were found.`)) return STOP;
    if (node.maxContains !== null && contained > node.maxContains && failed(`Array may contain at most ${node.maxContains} items matching schema. ${contained} items were found.`)) return STOP;
  }
  if (node.unevaluatedItems && mine) {
    for (let i = mine.itemsBelow; i < length; i++) {
      if (mine.items.has(i)) continue;
      if (!v.checkChild(value[i], i, node.unevaluatedItems, report) && failed(null)) return STOP;
      mine.items.add(i);
    }
  }
  if (node.uniqueItems) {
    const seen = new Map<string, number>();
    for (let i = 0; i < length; i++) {
      const text = v.canonical(value[i]);
      const first = seen.get(text);
      if (first === undefined) seen.set(text, i);
      else if (failed(`Duplicate items at indexes ${first} and ${i}.`)) return STOP;
    }
  }
  return tally.outcome;
}

/** The number keywords of `node` on `value`, in schema keyword order. */
export function checkNumber(v: Validation, value: number, node: Node, report: boolean): Outcome {
  const tally = v.tally(report);
  const failed = tally.failed;
  if (node.minimum !== null && value < node.minimum && failed(`${value} is less than ${node.minimum}.`)) return STOP;
  if (node.maximum !== null && value > node.maximum && failed(`${value} is greater than ${node.maximum}.`)) return STOP;
  if (node.exclusiveMinimum !== null && value <= node.exclusiveMinimum && failed(`${value} is less than or equal to ${node.exclusiveMinimum}.`)) return STOP;
  if (node.exclusiveMaximum !== null && value >= node.exclusiveMaximum && failed(`${value} is greater than or equal to ${node.exclusiveMaximum}.`)) return STOP;
  if (node.multipleOf !== null && !isMultipleOf(value, node.multipleOf) && failed(`${value} is not a multiple of ${node.multipleOf}.`)) return STOP;
  return tally.outcome;
}

/** The string keywords of `node` on `value`, in schema keyword order. */
export function checkString(v: Validation, value: string, node: Node, report: boolean): Outcome {
  const tally = v.tally(report);
  const failed = tally.failed;
  if (node.minLength !== null || node.maxLength !== null) {
    v.chargeText(value);
    const length = codePoints(value);
    if (node.minLength !== null && length < node.minLength && failed(`String is too short (${length} < ${node.minLength}).`)) return STOP;
    if (node.maxLength !== null && length > node.maxLength && failed(`String is too long (${length} > ${node.maxLength}).`)) return STOP;
  }
  if (node.pattern) {
    v.chargeMatch(node.pattern, value);
    const message = node.pattern === UNRUNNABLE ? "The schema's pattern cannot be run in linear time (backreference or lookaround): an admin must change the event type's schema." : "String does not match pattern.";
    if (!node.pattern.test(value) && failed(message)) return STOP;
  }
  if (node.format) {
    v.charge(formatSteps(node.formatName, value.length));
    if (!node.format(value) && failed(`String does not match format "${node.formatName}".`)) return STOP;
  }
  return tally.outcome;
}

/**
 * `properties`, `patternProperties` and `additionalProperties` on each key of `value`, noting the
 * keys they evaluated in `mine`; true when checking should stop.
 */
function checkProperties(v: Validation, value: Record<string, unknown>, keys: string[], node: Node, report: boolean, mine: Evaluated | null, tally: Tally): boolean {
  for (const key of keys) {
    v.charge(1);
    let matched = false;
    const sub = node.properties?.get(key);
    if (sub) {
      matched = true;
      if (!v.checkChild(value[key], key, sub, report) && tally.failed(null)) return true;
    }
    if (node.patternProperties) {
      for (const [regex, patternSub] of node.patternProperties) {
        v.chargeMatch(regex, key);
        if (!regex.test(key)) continue;
        matched = true;
        if (!v.checkChild(value[key], key, patternSub, report) && tally.failed(null)) return true;
      }
    }
    if (!matched && node.additionalProperties) {
      matched = true;
      if (!v.checkChild(value[key], key, node.additionalProperties, report) && tally.failed(null)) return true;
    }
    if (matched) mine?.properties.add(key);
  }
  return false;
}
