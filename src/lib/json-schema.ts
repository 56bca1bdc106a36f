import { dereference, Validator, type OutputUnit, type Schema } from "@cfworker/json-schema";
import type { ErrorIssue } from "../errors";
import { MAX_SCHEMA_DEPTH } from "../limits";
import { DRAFT_2020_12_META_SCHEMA } from "./json-schema-meta";

/**
 * JSON Schema draft 2020-12 with @cfworker/json-schema, which interprets schemas (no `eval`, no
 * `new Function`), so it runs on Workers. Issue paths are dotted, as everywhere in the error shape.
 */

const DRAFT = "2020-12";
/** At most this many problems are listed in one error: enough to fix a payload, small enough to read. */
export const MAX_SCHEMA_ISSUES = 20;

/** Keywords 2020-12 defines that the validator does not implement: a schema using them would not check what it says. */
const UNSUPPORTED_KEYWORDS = ["$dynamicRef", "$dynamicAnchor"];

let metaValidator: Validator | undefined;

/** A dotted path (`customer.tags.0`) from a validator location (`#/customer/tags/0`), under `base`. */
function dottedPath(base: string, location: string): string {
  // Segments come encoded with encodeURI (and `#` as %23), JSON-pointer escaped.
  const segments = location
    .replace(/^#\/?/, "")
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s).replace(/~1/g, "/").replace(/~0/g, "~"));
  return [base, ...segments].filter((s) => s !== "").join(".") || "(root)";
}

/**
 * The validator's errors that say what is wrong, without the ones that only say "a part below had
 * errors": the validator lists such a wrapper just before the errors it wraps.
 */
function leafErrors(errors: OutputUnit[]): OutputUnit[] {
  return errors.filter((error, i) => {
    const next = errors[i + 1];
    if (!next) return true;
    const deeper = (a: string, b: string) => b.startsWith(`${a}/`);
    return !(deeper(error.keywordLocation, next.keywordLocation) || deeper(error.instanceLocation, next.instanceLocation));
  });
}

/** The issues of a failed validation, paths under `base`, at most MAX_SCHEMA_ISSUES. */
function issuesOf(errors: OutputUnit[], base: string): ErrorIssue[] {
  return leafErrors(errors)
    .slice(0, MAX_SCHEMA_ISSUES)
    .map((e) => ({
      path: dottedPath(base, e.instanceLocation),
      // A `false` subschema (e.g. `additionalProperties: false`) reports only "False boolean schema.".
      message: e.error === "False boolean schema." ? "is not allowed by the schema" : e.error,
    }));
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

/**
 * What makes `schema` unusable as a JSON Schema draft 2020-12, or [] when it is fine: where it
 * breaks the meta-schema (paths under `base`, e.g. `schema.properties.total.type`), a regular
 * expression that does not compile, a `$ref` to a schema it does not contain, `$ref`s that loop
 * without descending into the instance (`{"$ref": "#"}`) or chain through more than
 * MAX_SCHEMA_DEPTH schemas, or a keyword the
 * validator does not implement (`$dynamicRef`, `$dynamicAnchor`). A `$schema` naming another
 * draft is refused too: the catalogue checks 2020-12 only; so is a lone UTF-16 surrogate, which
 * the validator cannot name locations with.
 */
export function schemaProblems(schema: unknown, base = "schema"): ErrorIssue[] {
  if (hasLoneSurrogate(schema)) return [{ path: base, message: "must not contain a lone UTF-16 surrogate (\\ud800–\\udfff without its pair)" }];
  metaValidator ??= new Validator(DRAFT_2020_12_META_SCHEMA, DRAFT, false);
  const meta = metaValidator.validate(schema);
  if (!meta.valid) return issuesOf(meta.errors, base);
  if (typeof schema === "boolean") return [];
  const record = schema as Record<string, unknown>;
  if (record.$schema !== undefined && record.$schema !== "https://json-schema.org/draft/2020-12/schema") {
    return [{ path: `${base}.$schema`, message: 'must be "https://json-schema.org/draft/2020-12/schema" or absent: only draft 2020-12 is supported' }];
  }
  const unsupported = firstKeyIn(schema, UNSUPPORTED_KEYWORDS);
  if (unsupported) return [{ path: base, message: `uses ${unsupported}, which this relay's validator does not support` }];
  try {
    const lookup = dereference(structuredClone(schema) as Schema);
    const missing = unresolvedRefs(lookup);
    if (missing.length > 0) {
      return missing.map((ref) => ({ path: base, message: `$ref "${ref}" points at no schema inside this schema (remote references are not fetched)` }));
    }
    assertInPlaceChainsEnd(lookup);
    return [];
  } catch (error) {
    return [{ path: base, message: (error as Error).message }];
  }
}

/**
 * `value` with every object key made well-formed (a lone UTF-16 surrogate becomes U+FFFD): the
 * validator names locations with encodeURI, which throws on a lone surrogate, and exact payloads
 * may have one in a key (`{"\ud800": 1}`).
 */
function wellFormedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wellFormedKeys);
  if (!value || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.replace(/\p{Cs}/gu, "\uFFFD"), wellFormedKeys(item)]));
}

/** A schema ready to check instances against: compile once, use many times. */
export interface CompiledSchema {
  /** The problems of `instance`, paths under `base` (e.g. `payload`), or [] when it matches. */
  check(instance: unknown, base: string): ErrorIssue[];
}

/**
 * Compiles a schema that schemaProblems accepted. Every problem of an instance is listed (up to
 * MAX_SCHEMA_ISSUES), not just the first. `format` is asserted for the formats the validator knows
 * (date-time, email, uri, uuid, …).
 */
export function compileSchema(schema: unknown): CompiledSchema {
  const validator = new Validator(structuredClone(schema) as Schema, DRAFT, false);
  return {
    check(instance, base) {
      let result;
      try {
        result = validator.validate(instance);
      } catch (error) {
        if (!(error instanceof URIError)) throw error;
        result = validator.validate(wellFormedKeys(instance));
      }
      return result.valid ? [] : issuesOf(result.errors, base);
    },
  };
}
