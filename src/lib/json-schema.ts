import { dereference, type Schema } from "@cfworker/json-schema";
import type { ErrorIssue } from "../errors";
import { MAX_SCHEMA_DEPTH, MAX_SCHEMAS_PER_VALUE, VALIDATION_BUDGET_STEPS } from "../limits";
import { DRAFT_2020_12_META_SCHEMA } from "./json-schema-meta";
import { compileLinearRegex, MAX_SCHEMA_PATTERN_PROGRAM_SIZE, UnsupportedPattern } from "./linear-regex";
import { compileBoundedValidator, ValidationTooComplex, type BoundedValidator, type SchemaViolation, type StepBudget } from "./schema-validator";

/**
 * JSON Schema draft 2020-12 for the event-type catalogue: which schemas it admits (schemaProblems)
 * and checking payloads against them (compileSchema), with bounded work (src/lib/schema-validator.ts).
 * Issue paths are dotted, as everywhere in the error shape.
 */

export { ValidationTooComplex, type StepBudget } from "./schema-validator";
/** At most this many problems are listed in one error: enough to fix a payload, small enough to read. */
export const MAX_SCHEMA_ISSUES = 20;

/** Keywords 2020-12 defines that the validator does not implement: a schema using them would not check what it says. */
const UNSUPPORTED_KEYWORDS = ["$dynamicRef", "$dynamicAnchor"];

let metaValidator: BoundedValidator | undefined;

/** A dotted path (`customer.tags.0`) under `base`; a lone UTF-16 surrogate in a key shows as U+FFFD. */
function dottedPath(base: string, path: string[]): string {
  return [base, ...path.map((key) => key.replace(/\p{Cs}/gu, "\uFFFD"))].filter((s) => s !== "").join(".") || "(root)";
}

/** The issues of a failed validation, paths under `base`. */
function issuesOf(violations: SchemaViolation[], base: string): ErrorIssue[] {
  return violations.map((v) => ({ path: dottedPath(base, v.path), message: v.message }));
}

/** Every `$ref` in the schemas of `lookup` that points at no schema there (remote references are never fetched). */
function unresolvedRefs(lookup: Record<string, Schema | boolean>): string[] {
  const missing = new Set<string>();
  for (const schema of Object.values(lookup)) {
    if (typeof schema !== "object" || typeof schema.$ref !== "string") continue;
    const target = (schema.__absolute_ref__ as string | undefined) ?? schema.$ref;
    if (lookup[target] === undefined) missing.add(schema.$ref);
  }
  return [...missing];
}

/** Keywords whose subschemas apply to the same instance as their parent (the others descend into a part of it). */
const IN_PLACE_ARRAYS = ["allOf", "anyOf", "oneOf"];
const IN_PLACE_SCHEMAS = ["not", "if", "then", "else"];

/** The subschemas that `schema` applies to the very instance it checks, its `$ref` target included. */
function inPlaceSubschemas(schema: Schema, lookup: Record<string, Schema | boolean>): unknown[] {
  const next: unknown[] = [];
  if (typeof schema.$ref === "string") next.push(lookup[(schema.__absolute_ref__ as string | undefined) ?? schema.$ref]);
  for (const key of IN_PLACE_SCHEMAS) next.push(schema[key]);
  // One by one, not push(...): an allOf may hold more subschemas than a call takes arguments.
  for (const key of IN_PLACE_ARRAYS) if (Array.isArray(schema[key])) for (const s of schema[key] as unknown[]) next.push(s);
  const dependent = schema.dependentSchemas;
  if (dependent && typeof dependent === "object") for (const s of Object.values(dependent)) next.push(s);
  return next.filter((s) => s !== null && typeof s === "object");
}

/**
 * Checks that every chain of `$ref`s and in-place applicators (`allOf`, `if`, `not`, …) in `lookup`
 * ends within MAX_SCHEMA_DEPTH schemas: the validator recurses along such a chain on the same
 * value, so a chain that leads back to where it started (without descending into the instance)
 * or runs very long would overflow the stack on every payload that reaches it.
 * @throws Error naming the problem (schemaProblems reports it as an issue)
 */
function assertInPlaceChainsEnd(lookup: Record<string, Schema | boolean>): void {
  const heights = new Map<unknown, number>();
  const onPath = new Set<unknown>();
  const height = (schema: Schema, depth: number): number => {
    if (onPath.has(schema)) {
      throw new Error("loops: a chain of $ref (or allOf, anyOf, oneOf, not, if, then, else, dependentSchemas) leads back to where it started without descending into the payload");
    }
    const known = heights.get(schema);
    if (known !== undefined) return known;
    if (depth > MAX_SCHEMA_DEPTH) throw new Error(`has a chain of $ref (or allOf, anyOf, …) through more than ${MAX_SCHEMA_DEPTH} schemas applying to one value`);
    onPath.add(schema);
    const own = 1 + inPlaceSubschemas(schema, lookup).reduce((most: number, s) => Math.max(most, height(s as Schema, depth + 1)), 0);
    onPath.delete(schema);
    if (own > MAX_SCHEMA_DEPTH) throw new Error(`has a chain of $ref (or allOf, anyOf, …) through more than ${MAX_SCHEMA_DEPTH} schemas applying to one value`);
    heights.set(schema, own);
    return own;
  };
  for (const schema of Object.values(lookup)) if (typeof schema === "object") height(schema, 1);
}

/** The first of `keys` used as an object key anywhere in `value`, or null (finds keywords wherever they sit). */
function firstKeyIn(value: unknown, keys: string[]): string | null {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = firstKeyIn(item, keys);
      if (found) return found;
    }
  } else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (keys.includes(key)) return key;
      const found = firstKeyIn(item, keys);
      if (found) return found;
    }
  }
  return null;
}

/** Whether any key or string in `value` holds a lone UTF-16 surrogate (with the `u` flag a proper pair is not Cs). */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === "string") return /\p{Cs}/u.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (!value || typeof value !== "object") return false;
  return Object.entries(value).some(([key, item]) => /\p{Cs}/u.test(key) || hasLoneSurrogate(item));
}

/** Keywords whose values are data, not schemas: a `pattern` inside them is not one. */
const DATA_KEYWORDS = new Set(["const", "enum", "default", "examples"]);

/** Where each schema object of `schema` sits (dotted, under `base`), data keywords' values skipped. */
function schemaLocations(schema: unknown, base: string): Map<object, string> {
  const where = new Map<object, string>();
  const walk = (node: unknown, path: string): void => {
    if (!node || typeof node !== "object") return;
    if (!Array.isArray(node)) where.set(node, path);
    for (const [key, item] of Object.entries(node)) if (!DATA_KEYWORDS.has(key)) walk(item, `${path}.${key}`);
  };
  walk(schema, base);
  return where;
}

/**
 * Every `pattern` and `patternProperties` key that cannot run in linear time, named by its path,
 * and the first whose compiled program takes the schema's sum past MAX_SCHEMA_PATTERN_PROGRAM_SIZE.
 */
function patternIssues(where: Map<object, string>): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  let programSize = 0;
  const check = (source: string, path: string) => {
    if (programSize > MAX_SCHEMA_PATTERN_PROGRAM_SIZE) return;
    try {
      programSize += compileLinearRegex(source).size;
      if (programSize > MAX_SCHEMA_PATTERN_PROGRAM_SIZE) {
        issues.push({ path, message: `takes the schema's patterns past ${MAX_SCHEMA_PATTERN_PROGRAM_SIZE} compiled instructions (compiling them would stall the relay): use fewer or simpler patterns, e.g. maxLength instead of a{1000}` });
      }
    } catch (error) {
      if (!(error instanceof UnsupportedPattern)) throw error;
      issues.push({ path, message: error.message });
    }
  };
  for (const [node, path] of where) {
    const schema = node as Record<string, unknown>;
    if (typeof schema.pattern === "string") check(schema.pattern, `${path}.pattern`);
    const patternProperties = schema.patternProperties;
    if (patternProperties && typeof patternProperties === "object" && !Array.isArray(patternProperties)) {
      for (const source of Object.keys(patternProperties)) check(source, `${path}.patternProperties.${source}`);
    }
  }
  return issues;
}

/**
 * The first schema (innermost first) that applies more than MAX_SCHEMAS_PER_VALUE schemas to one
 * value through `$ref` and in-place applicators (`allOf` of two `$ref`s to a schema that does the
 * same, 21 levels deep, is 2^21), named by its path; null when none does. Chains are known to end
 * (assertInPlaceChainsEnd ran first).
 */
function fanOutIssue(lookup: Record<string, Schema | boolean>, where: Map<object, string>, base: string): ErrorIssue | null {
  const sizes = new Map<unknown, number>();
  let found: ErrorIssue | null = null;
  const size = (schema: Schema): number => {
    const known = sizes.get(schema);
    if (known !== undefined) return known;
    let own = 1;
    for (const sub of inPlaceSubschemas(schema, lookup)) own = Math.min(own + size(sub as Schema), MAX_SCHEMAS_PER_VALUE + 1);
    if (own > MAX_SCHEMAS_PER_VALUE && !found) {
      found = {
        path: where.get(schema) ?? base,
        message: `applies more than ${MAX_SCHEMAS_PER_VALUE} schemas to one value through $ref, allOf, anyOf, oneOf, not, if, then, else or dependentSchemas: checking a payload would take exponential work`,
      };
    }
    sizes.set(schema, own);
    return own;
  };
  for (const schema of Object.values(lookup)) if (typeof schema === "object") size(schema);
  return found;
}

/**
 * What makes `schema` unusable as a JSON Schema draft 2020-12, or [] when it is fine: where it
 * breaks the meta-schema (paths under `base`, e.g. `schema.properties.total.type`), a regular
 * expression that does not compile, a `$ref` to a schema it does not contain, `$ref`s that loop
 * without descending into the instance (`{"$ref": "#"}`) or chain through more than
 * MAX_SCHEMA_DEPTH schemas, or a keyword the
 * validator does not implement (`$dynamicRef`, `$dynamicAnchor`). A `$schema` naming another
 * draft is refused too: the catalogue checks 2020-12 only; so is a lone UTF-16 surrogate.
 * Refused for the work they would cost on every enqueue: a `pattern` or `patternProperties` key
 * that cannot run in linear time (backreferences, lookaround; path `….pattern`), and a schema that
 * applies more than MAX_SCHEMAS_PER_VALUE schemas to one value (path of that schema).
 */
export function schemaProblems(schema: unknown, base = "schema"): ErrorIssue[] {
  if (hasLoneSurrogate(schema)) return [{ path: base, message: "must not contain a lone UTF-16 surrogate (\\ud800–\\udfff without its pair)" }];
  metaValidator ??= compileBoundedValidator(DRAFT_2020_12_META_SCHEMA);
  let meta: SchemaViolation[];
  try {
    meta = metaValidator.validate(schema, { remaining: VALIDATION_BUDGET_STEPS }, MAX_SCHEMA_ISSUES);
  } catch (error) {
    if (!(error instanceof ValidationTooComplex)) throw error;
    return [{ path: base, message: "is too large to check against the draft 2020-12 meta-schema" }];
  }
  if (meta.length > 0) return issuesOf(meta, base);
  if (typeof schema === "boolean") return [];
  const record = schema as Record<string, unknown>;
  if (record.$schema !== undefined && record.$schema !== "https://json-schema.org/draft/2020-12/schema") {
    return [{ path: `${base}.$schema`, message: 'must be "https://json-schema.org/draft/2020-12/schema" or absent: only draft 2020-12 is supported' }];
  }
  const unsupported = firstKeyIn(schema, UNSUPPORTED_KEYWORDS);
  if (unsupported) return [{ path: base, message: `uses ${unsupported}, which this relay's validator does not support` }];
  const clone = structuredClone(schema) as Schema;
  const where = schemaLocations(clone, base);
  const patterns = patternIssues(where);
  if (patterns.length > 0) return patterns.slice(0, MAX_SCHEMA_ISSUES);
  try {
    const lookup = dereference(clone);
    const missing = unresolvedRefs(lookup);
    if (missing.length > 0) {
      return missing.map((ref) => ({ path: base, message: `$ref "${ref}" points at no schema inside this schema (remote references are not fetched)` }));
    }
    assertInPlaceChainsEnd(lookup);
    const fanOut = fanOutIssue(lookup, where, base);
    return fanOut ? [fanOut] : [];
  } catch (error) {
    return [{ path: base, message: (error as Error).message }];
  }
}

/** A schema ready to check instances against: compile once, use many times. */
export interface CompiledSchema {
  /**
   * The problems of `instance`, paths under `base` (e.g. `payload`), or [] when it matches.
   * @param budget steps it may take, deducted as it goes (share one across a request's payloads);
   *   VALIDATION_BUDGET_STEPS of its own by default
   * @throws ValidationTooComplex when checking it would take more than the budget
   */
  check(instance: unknown, base: string, budget?: StepBudget): ErrorIssue[];
}

/**
 * Compiles a schema that schemaProblems accepted. Every problem of an instance is listed (up to
 * MAX_SCHEMA_ISSUES), not just the first. `format` is asserted for the formats of
 * src/lib/formats.ts (date-time, email, uri, uuid, …), each in linear time.
 */
export function compileSchema(schema: unknown): CompiledSchema {
  const validator = compileBoundedValidator(schema);
  return {
    check(instance, base, budget = { remaining: VALIDATION_BUDGET_STEPS }) {
      return issuesOf(validator.validate(instance, budget, MAX_SCHEMA_ISSUES), base);
    },
  };
}
