import { dereference, type Schema } from "@cfworker/json-schema";
import { FORMATS } from "./formats";
import { compileLinearRegex, UnsupportedPattern, type LinearRegex } from "./linear-regex";

/**
 * A JSON Schema draft 2020-12 validator whose work is bounded: it interprets the schema (no `eval`,
 * so it runs on Workers) and counts its steps, and a validation that would take more than its
 * budget stops with ValidationTooComplex instead of holding the isolate.
 *
 * Why not @cfworker/json-schema, which checked payloads before: it runs `pattern` on JavaScript's
 * backtracking RegExp (exponential on `^(a+)+$`), its `format` regexes backtrack too (`url` took
 * seconds on 30 characters), `enum` and `uniqueItems` compare pairwise, and nothing bounds the
 * work of a `$ref` that fans out — none of it can be configured away. Here every `pattern` runs on
 * re2js (linear time, src/lib/linear-regex.ts), formats are linear checks (src/lib/formats.ts),
 * `enum`, `const` and `uniqueItems` compare canonical JSON texts through a Set, and every schema
 * applied and every character matched costs steps against the budget. @cfworker/json-schema still
 * resolves `$id`, `$anchor` and `$ref` (its `dereference`, which runs nothing on payloads).
 *
 * Keywords: everything of 2020-12 except `$dynamicRef` / `$dynamicAnchor` (schemaProblems refuses
 * them) and the content vocabulary (annotations). Messages follow @cfworker/json-schema's, which
 * clients have seen.
 */

/** Thrown when a validation needs more than its budget of steps; nothing about the instance is known. */
export class ValidationTooComplex extends Error {}

/** Steps validations may still take: several may share one (the payloads of one request). */
export interface StepBudget {
  remaining: number;
}

/** One problem of an instance: where (property names and indexes from its root) and what. */
export interface SchemaViolation {
  path: string[];
  message: string;
}

type SchemaObject = Record<string, unknown>;
type SchemaNode = boolean | SchemaObject;

/** Which properties and items a schema and its in-place subschemas evaluated (for `unevaluated*`). */
interface Evaluated {
  properties: Set<string>;
  /** Items below this index were evaluated (prefixItems, items). */
  itemsBelow: number;
  /** Items evaluated one by one (contains). */
  items: Set<number>;
}

const newEvaluated = (): Evaluated => ({ properties: new Set(), itemsBelow: 0, items: new Set() });

/** Adds what `from` evaluated to `into`; its cost is `from`'s size (Validation.merge charges it). */
function mergeEvaluated(into: Evaluated, from: Evaluated): void {
  for (const p of from.properties) into.properties.add(p);
  for (const i of from.items) into.items.add(i);
  into.itemsBelow = Math.max(into.itemsBelow, from.itemsBelow);
}

/** Characters of a string matched or checked per step: a step is about one schema applied to one value. */
export const CHARACTERS_PER_STEP = 16;
/** Property-name lookups (a `required` name, a key of an object) per step: a lookup in a large object is a slow hash probe. */
const LOOKUPS_PER_STEP = 2;
/** Objects with at least this many keys have them listed once per validation. */
const LARGE_OBJECT_KEYS = 64;

/** The JSON type of `value` as JSON Schema names it (`number` for integers too, as the messages say). */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

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

function isMultipleOf(value: number, divisor: number): boolean {
  if (Number.isInteger(value) && Number.isInteger(divisor)) return value % divisor === 0;
  const quotient = value / divisor;
  if (!Number.isFinite(quotient)) return false;
  // Decimal divisors (0.01) are not exact in binary: accept a quotient within a few units of
  // rounding of an integer. The tolerance is relative to the quotient but far below 0.5, so a
  // large quotient (300000001 / 2) is not waved through.
  return Math.abs(quotient - Math.round(quotient)) <= 8 * Number.EPSILON * Math.max(1, Math.abs(quotient));
}

/** A schema compiled for bounded validation. */
export interface BoundedValidator {
  /**
   * The problems of `instance` (at most `maxViolations`, in schema keyword order), [] when it matches.
   * The steps taken are deducted from `budget`.
   * @throws ValidationTooComplex when checking it would take more than `budget.remaining` steps
   */
  validate(instance: unknown, budget: StepBudget, maxViolations: number): SchemaViolation[];
}

/** What a check of one keyword group found: nothing wrong, a failure (go on reporting), or stop now. */
const OK = 0;
const FAILED = 1;
const STOP = 2;
type Outcome = typeof OK | typeof FAILED | typeof STOP;

/**
 * A schema object with every keyword read once into fixed fields (one shape for all, so checking is
 * fast), patterns compiled, `enum` and `const` turned into canonical texts, `$ref` resolved.
 */
class Node {
  readonly always: boolean | null;
  ref: Node | null = null;
  readonly types: string[] | null;
  readonly constText: string | null;
  /** Failure messages of `const` and `enum`, written once: a huge value stringified per failure took seconds. */
  readonly constMessage: string;
  readonly enumMessage: string;
  readonly enumSet: Set<string> | null;
  not: Node | null = null;
  allOf: Node[] | null = null;
  anyOf: Node[] | null = null;
  oneOf: Node[] | null = null;
  ifNode: Node | null = null;
  thenNode: Node | null = null;
  elseNode: Node | null = null;
  readonly required: string[] | null;
  readonly minProperties: number | null;
  readonly maxProperties: number | null;
  propertyNames: Node | null = null;
  readonly dependentRequired: Map<string, string[]> | null;
  dependentSchemas: Map<string, Node> | null = null;
  properties: Map<string, Node> | null = null;
  patternProperties: Array<[LinearRegex, Node]> | null = null;
  additionalProperties: Node | null = null;
  unevaluatedProperties: Node | null = null;
  readonly minItems: number | null;
  readonly maxItems: number | null;
  prefixItems: Node[] | null = null;
  items: Node | null = null;
  contains: Node | null = null;
  readonly minContains: number;
  readonly maxContains: number | null;
  unevaluatedItems: Node | null = null;
  readonly uniqueItems: boolean;
  readonly minimum: number | null;
  readonly maximum: number | null;
  readonly exclusiveMinimum: number | null;
  readonly exclusiveMaximum: number | null;
  readonly multipleOf: number | null;
  readonly minLength: number | null;
  readonly maxLength: number | null;
  readonly pattern: LinearRegex | null;
  readonly format: ((value: string) => boolean) | null;
  readonly formatName: string;
  readonly unevaluated: boolean;
  /** Whether any number or string keyword is present (most schemas have none of one kind: skip it). */
  readonly numberChecks: boolean;
  readonly stringChecks: boolean;

  constructor(schema: SchemaNode, patternOf: (source: string) => LinearRegex) {
    const s: SchemaObject = typeof schema === "object" ? schema : {};
    const num = (v: unknown) => (typeof v === "number" ? v : null);
    this.always = typeof schema === "boolean" ? schema : null;
    this.types = s.type === undefined ? null : Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    this.constMessage = s.const === undefined ? "" : constMessage(s.const);
    this.constText = s.const === undefined ? null : canonicalUncharged(s.const);
    const enumValues = Array.isArray(s.enum) ? (s.enum as unknown[]) : null;
    this.enumSet = enumValues ? new Set(enumValues.map(canonicalUncharged)) : null;
    this.enumMessage = enumValues ? enumMessage(enumValues) : "";
    this.required = Array.isArray(s.required) ? (s.required as string[]) : null;
    this.minProperties = num(s.minProperties);
    this.maxProperties = num(s.maxProperties);
    this.dependentRequired = isObject(s.dependentRequired) ? new Map(Object.entries(s.dependentRequired) as Array<[string, string[]]>) : null;
    this.minItems = num(s.minItems);
    this.maxItems = num(s.maxItems);
    this.minContains = num(s.minContains) ?? 1;
    this.maxContains = num(s.maxContains);
    this.uniqueItems = s.uniqueItems === true;
    this.minimum = num(s.minimum);
    this.maximum = num(s.maximum);
    this.exclusiveMinimum = num(s.exclusiveMinimum);
    this.exclusiveMaximum = num(s.exclusiveMaximum);
    this.multipleOf = num(s.multipleOf);
    this.minLength = num(s.minLength);
    this.maxLength = num(s.maxLength);
    this.pattern = typeof s.pattern === "string" ? patternOf(s.pattern) : null;
    this.formatName = typeof s.format === "string" ? s.format : "";
    this.format = FORMATS[this.formatName] ?? null;
    this.unevaluated = s.unevaluatedProperties !== undefined || s.unevaluatedItems !== undefined;
    this.numberChecks = [this.minimum, this.maximum, this.exclusiveMinimum, this.exclusiveMaximum, this.multipleOf].some((v) => v !== null);
    this.stringChecks = this.minLength !== null || this.maxLength !== null || this.pattern !== null || this.format !== null;
  }
}

/**
 * Prepares `schema` (one schemaProblems accepted: its `$ref`s resolve, its patterns compile) for
 * bounded validation; patterns are compiled here, once.
 * A pattern that cannot run in linear time (only in a schema stored before schemaProblems refused
 * them) matches nothing: `pattern` then refuses every string, saying why, rather than running it on
 * a backtracking engine or failing the enqueue with a 500.
 */
export function compileBoundedValidator(schema: unknown): BoundedValidator {
  const root = structuredClone(schema) as SchemaNode;
  const lookup = typeof root === "object" ? (dereference(root as Schema) as Record<string, SchemaNode>) : {};
  const patterns = new Map<string, LinearRegex>();
  const patternOf = (source: string): LinearRegex => {
    let compiled = patterns.get(source);
    if (!compiled) patterns.set(source, (compiled = linearOrNothing(source)));
    return compiled;
  };
  const nodes = new Map<SchemaNode, Node>();
  const nodeOf = (s: SchemaNode): Node => {
    const known = nodes.get(s);
    if (known) return known;
    const node = new Node(s, patternOf);
    nodes.set(s, node);
    if (typeof s === "boolean") return node;
    const sub = (v: unknown) => (v === undefined ? null : nodeOf(v as SchemaNode));
    const list = (v: unknown) => (Array.isArray(v) ? (v as SchemaNode[]).map(nodeOf) : null);
    if (s.$ref !== undefined) {
      const target = lookup[(s.__absolute_ref__ as string | undefined) ?? (s.$ref as string)];
      // schemaProblems refuses unresolved references before a schema is stored.
      if (target === undefined) throw new Error(`unresolved $ref ${String(s.$ref)}`);
      node.ref = nodeOf(target);
    }
    node.not = sub(s.not);
    node.allOf = list(s.allOf);
    node.anyOf = list(s.anyOf);
    node.oneOf = list(s.oneOf);
    node.ifNode = sub(s.if);
    node.thenNode = sub(s.then);
    node.elseNode = sub(s.else);
    node.propertyNames = sub(s.propertyNames);
    if (isObject(s.dependentSchemas)) node.dependentSchemas = new Map(Object.entries(s.dependentSchemas).map(([k, v]) => [k, nodeOf(v as SchemaNode)]));
    if (isObject(s.properties)) node.properties = new Map(Object.entries(s.properties).map(([k, v]) => [k, nodeOf(v as SchemaNode)]));
    if (isObject(s.patternProperties)) node.patternProperties = Object.entries(s.patternProperties).map(([k, v]) => [patternOf(k), nodeOf(v as SchemaNode)]);
    node.additionalProperties = sub(s.additionalProperties);
    node.unevaluatedProperties = sub(s.unevaluatedProperties);
    node.prefixItems = list(s.prefixItems);
    node.items = sub(s.items);
    node.contains = sub(s.contains);
    node.unevaluatedItems = sub(s.unevaluatedItems);
    return node;
  };
  const rootNode = nodeOf(root);
  return {
    validate(instance, budget, maxViolations) {
      return new Validation(budget, maxViolations).run(rootNode, instance);
    },
  };
}

/** Stands in for a pattern that cannot run in linear time: it matches nothing. */
const UNRUNNABLE: LinearRegex = { test: () => false, size: 1 };

function linearOrNothing(source: string): LinearRegex {
  try {
    return compileLinearRegex(source);
  } catch (error) {
    if (error instanceof UnsupportedPattern) return UNRUNNABLE;
    throw error;
  }
}

/** One run of a validator over one instance, with its step count, where it is, and its violations. */
class Validation {
  private readonly violations: SchemaViolation[] = [];
  /** Property names and indexes from the instance's root to the value being checked. */
  private readonly path: Array<string | number> = [];
  /** The keys of objects of LARGE_OBJECT_KEYS or more: up to MAX_SCHEMAS_PER_VALUE schemas may apply to one object. */
  private readonly largeObjectKeys = new Map<object, string[]>();

  constructor(
    private readonly budget: StepBudget,
    private readonly maxViolations: number,
  ) {}

  run(root: Node, instance: unknown): SchemaViolation[] {
    this.check(instance, root, true, null);
    return this.violations;
  }

  private charge(steps: number): void {
    this.budget.remaining -= steps;
    if (this.budget.remaining < 0) throw new ValidationTooComplex("validation needs more steps than its budget");
  }

  /** Charges `count` property-name lookups: lists in a schema (`required`) or an object's keys can be long. */
  private chargeLookups(count: number): void {
    this.charge(1 + Math.floor(count / LOOKUPS_PER_STEP));
  }

  /**
   * The own keys of `value`. A large object's are listed once per validation however many schemas
   * apply to it (listing 25,000 keys for each of 999 schemas took ~20 s); small objects are listed
   * each time, which is cheaper than remembering them.
   */
  private keysOf(value: Record<string, unknown>): string[] {
    const known = this.largeObjectKeys.size > 0 ? this.largeObjectKeys.get(value) : undefined;
    if (known) return known;
    const keys = Object.keys(value);
    if (keys.length >= LARGE_OBJECT_KEYS) {
      this.chargeLookups(keys.length);
      this.largeObjectKeys.set(value, keys);
    }
    return keys;
  }

  /** The names in `names` that `value` has, found by walking the shorter of `names` and the object's keys. */
  private namesPresent(names: Map<string, unknown>, value: Record<string, unknown>, keys: string[]): string[] {
    if (names.size <= keys.length) {
      this.chargeLookups(names.size);
      const present: string[] = [];
      for (const name of names.keys()) if (Object.hasOwn(value, name)) present.push(name);
      return present;
    }
    this.chargeLookups(keys.length);
    return keys.filter((key) => names.has(key));
  }

  /**
   * Adds what a subschema evaluated to its parent's record, charged by its size: a chain of
   * in-place schemas over a large object copies the record at every level (3 chains of 60 levels
   * over 25,000 properties took ~16 s).
   */
  private merge(into: Evaluated, from: Evaluated): void {
    this.chargeLookups(from.properties.size + from.items.size);
    mergeEvaluated(into, from);
  }

  private chargeText(s: string): void {
    this.charge(1 + Math.floor(s.length / CHARACTERS_PER_STEP));
  }

  /** Charges matching `regex` on `s`: its work per character grows with the regex's program. */
  private chargeMatch(regex: LinearRegex, s: string): void {
    this.charge(1 + Math.floor((s.length * regex.size) / CHARACTERS_PER_STEP));
  }

  /** Whether checking may stop after a failure: always when not reporting, else when the list is full. */
  private stopAfterFailure(report: boolean): boolean {
    return !report || this.violations.length >= this.maxViolations;
  }

  /** Records a violation at the current path when reporting; STOP when checking may stop now. */
  private fail(report: boolean, message: string): Outcome {
    if (report && this.violations.length < this.maxViolations) this.violations.push({ path: this.path.map(String), message });
    return this.stopAfterFailure(report) ? STOP : FAILED;
  }

  /** Checks `value` (at `key` below the current path) against `node`. */
  private checkChild(value: unknown, key: string | number, node: Node, report: boolean): boolean {
    this.path.push(key);
    const valid = this.check(value, node, report, null);
    this.path.pop();
    return valid;
  }

  /** Canonical JSON text of `value` (object keys sorted), paid for by its size: equal JSON values, equal texts. */
  private canonical(value: unknown): string {
    if (typeof value === "string") {
      this.chargeText(value);
      return JSON.stringify(value);
    }
    this.charge(1);
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) {
      let text = "[";
      for (let i = 0; i < value.length; i++) text += (i ? "," : "") + this.canonical(value[i]);
      return `${text}]`;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length > 1) keys.sort();
    let text = "{";
    for (let i = 0; i < keys.length; i++) text += `${i ? "," : ""}${JSON.stringify(keys[i])}:${this.canonical(record[keys[i]!])}`;
    return `${text}}`;
  }

  /**
   * Whether `value` matches `node`. When `report`, violations are recorded (and checking goes on
   * after a failure until maxViolations); otherwise the first failure ends it. `out` collects
   * what was evaluated, for an enclosing `unevaluated*`, when the schema matched.
   */
  private check(value: unknown, node: Node, report: boolean, out: Evaluated | null): boolean {
    this.charge(1);
    if (node.always !== null) {
      if (!node.always) this.fail(report, "is not allowed by the schema");
      return node.always;
    }
    const type = jsonType(value);
    const mine = (type === "object" || type === "array") && (out !== null || node.unevaluated) ? newEvaluated() : null;
    let valid = true;
    let outcome: Outcome;

    if (node.ref && !this.check(value, node.ref, report, mine)) {
      valid = false;
      if (this.stopAfterFailure(report)) return false;
    }
    if (node.types && !node.types.some((t) => t === type || (t === "integer" && type === "number" && Number.isInteger(value)))) {
      valid = false;
      if (this.fail(report, `Instance type "${type}" is invalid. Expected "${node.types.join('", "')}".`) === STOP) return false;
    }
    if (node.constText !== null && this.canonical(value) !== node.constText) {
      valid = false;
      if (this.fail(report, node.constMessage) === STOP) return false;
    }
    if (node.enumSet && !node.enumSet.has(this.canonical(value))) {
      valid = false;
      if (this.fail(report, node.enumMessage) === STOP) return false;
    }
    if (node.not && this.check(value, node.not, false, null)) {
      valid = false;
      if (this.fail(report, 'Instance matched "not" schema.') === STOP) return false;
    }
    if (node.allOf) {
      for (const sub of node.allOf) {
        if (this.check(value, sub, report, mine)) continue;
        valid = false;
        if (this.stopAfterFailure(report)) return false;
      }
    }
    if (node.anyOf) {
      let any = false;
      for (const sub of node.anyOf) {
        if (!this.check(value, sub, false, mine)) continue;
        any = true;
        // Later matches only add annotations, which only an `unevaluated*` needs.
        if (!mine) break;
      }
      if (!any) {
        valid = false;
        if (this.fail(report, "Instance does not match any subschemas.") === STOP) return false;
      }
    }
    if (node.oneOf) {
      let matches = 0;
      const evaluated = mine ? newEvaluated() : null;
      for (const sub of node.oneOf) if (this.check(value, sub, false, evaluated)) matches += 1;
      if (matches === 1 && mine && evaluated) this.merge(mine, evaluated);
      if (matches !== 1) {
        valid = false;
        if (this.fail(report, `Instance does not match exactly one subschema (${matches} matches).`) === STOP) return false;
      }
    }
    if (node.ifNode) {
      const conditionEvaluated = mine ? newEvaluated() : null;
      const holds = this.check(value, node.ifNode, false, conditionEvaluated);
      if (holds && mine && conditionEvaluated) this.merge(mine, conditionEvaluated);
      const branch = holds ? node.thenNode : node.elseNode;
      if (branch && !this.check(value, branch, report, mine)) {
        valid = false;
        if (this.stopAfterFailure(report)) return false;
      }
    }
    if (type === "object") outcome = this.checkObject(value as Record<string, unknown>, node, report, mine);
    else if (type === "array") outcome = this.checkArray(value as unknown[], node, report, mine);
    else if (type === "number" && node.numberChecks) outcome = this.checkNumber(value as number, node, report);
    else if (type === "string" && node.stringChecks) outcome = this.checkString(value as string, node, report);
    else outcome = OK;
    if (outcome === STOP) return false;
    if (outcome === FAILED) valid = false;
    if (valid && out && mine) this.merge(out, mine);
    return valid;
  }

  private checkObject(value: Record<string, unknown>, node: Node, report: boolean, mine: Evaluated | null): Outcome {
    let outcome: Outcome = OK;
    /** Notes a failure; true when checking should stop. */
    const failed = (message: string | null): boolean => {
      outcome = message === null ? (this.stopAfterFailure(report) ? STOP : FAILED) : this.fail(report, message);
      return outcome === STOP;
    };
    const keys = this.keysOf(value);
    if (node.required) {
      this.chargeLookups(node.required.length);
      for (const key of node.required) if (!Object.hasOwn(value, key) && failed(`Instance does not have required property "${key}".`)) return STOP;
    }
    if (node.minProperties !== null && keys.length < node.minProperties && failed(`Instance does not have at least ${node.minProperties} properties.`)) return STOP;
    if (node.maxProperties !== null && keys.length > node.maxProperties && failed(`Instance has more than ${node.maxProperties} properties.`)) return STOP;
    if (node.propertyNames) {
      for (const key of keys) if (!this.checkChild(key, key, node.propertyNames, false) && failed(`Property name "${key}" does not match schema.`)) return STOP;
    }
    if (node.dependentRequired) {
      for (const key of this.namesPresent(node.dependentRequired, value, keys)) {
        const needed = node.dependentRequired.get(key)!;
        this.chargeLookups(needed.length);
        for (const other of needed) if (!Object.hasOwn(value, other) && failed(`Instance has "${key}" but does not have "${other}".`)) return STOP;
      }
    }
    if (node.dependentSchemas) {
      for (const key of this.namesPresent(node.dependentSchemas, value, keys)) if (!this.check(value, node.dependentSchemas.get(key)!, report, mine) && failed(null)) return STOP;
    }
    if (node.properties || node.patternProperties || node.additionalProperties) {
      for (const key of keys) {
        this.charge(1);
        let matched = false;
        const sub = node.properties?.get(key);
        if (sub) {
          matched = true;
          if (!this.checkChild(value[key], key, sub, report) && failed(null)) return STOP;
        }
        if (node.patternProperties) {
          for (const [regex, patternSub] of node.patternProperties) {
            this.chargeMatch(regex, key);
            if (!regex.test(key)) continue;
            matched = true;
            if (!this.checkChild(value[key], key, patternSub, report) && failed(null)) return STOP;
          }
        }
        if (!matched && node.additionalProperties) {
          matched = true;
          if (!this.checkChild(value[key], key, node.additionalProperties, report) && failed(null)) return STOP;
        }
        if (matched) mine?.properties.add(key);
      }
    }
    if (node.unevaluatedProperties && mine) {
      this.chargeLookups(keys.length);
      for (const key of keys) {
        if (mine.properties.has(key)) continue;
        if (!this.checkChild(value[key], key, node.unevaluatedProperties, report) && failed(null)) return STOP;
        mine.properties.add(key);
      }
    }
    return outcome;
  }

  private checkArray(value: unknown[], node: Node, report: boolean, mine: Evaluated | null): Outcome {
    let outcome: Outcome = OK;
    const failed = (message: string | null): boolean => {
      outcome = message === null ? (this.stopAfterFailure(report) ? STOP : FAILED) : this.fail(report, message);
      return outcome === STOP;
    };
    const length = value.length;
    if (node.maxItems !== null && length > node.maxItems && failed(`Array has too many items (${length} > ${node.maxItems}).`)) return STOP;
    if (node.minItems !== null && length < node.minItems && failed(`Array has too few items (${length} < ${node.minItems}).`)) return STOP;
    const prefix = node.prefixItems ?? [];
    const upTo = Math.min(prefix.length, length);
    for (let i = 0; i < upTo; i++) if (!this.checkChild(value[i], i, prefix[i]!, report) && failed(null)) return STOP;
    if (mine) mine.itemsBelow = Math.max(mine.itemsBelow, upTo);
    if (node.items) {
      for (let i = prefix.length; i < length; i++) if (!this.checkChild(value[i], i, node.items, report) && failed(null)) return STOP;
      if (mine) mine.itemsBelow = length;
    }
    if (node.contains) {
      let contained = 0;
      for (let i = 0; i < length; i++) {
        if (!this.checkChild(value[i], i, node.contains, false)) continue;
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
        if (!this.checkChild(value[i], i, node.unevaluatedItems, report) && failed(null)) return STOP;
        mine.items.add(i);
      }
    }
    if (node.uniqueItems) {
      const seen = new Map<string, number>();
      for (let i = 0; i < length; i++) {
        const text = this.canonical(value[i]);
        const first = seen.get(text);
        if (first === undefined) seen.set(text, i);
        else if (failed(`Duplicate items at indexes ${first} and ${i}.`)) return STOP;
      }
    }
    return outcome;
  }

  private checkNumber(value: number, node: Node, report: boolean): Outcome {
    let outcome: Outcome = OK;
    const failed = (message: string): boolean => (outcome = this.fail(report, message)) === STOP;
    if (node.minimum !== null && value < node.minimum && failed(`${value} is less than ${node.minimum}.`)) return STOP;
    if (node.maximum !== null && value > node.maximum && failed(`${value} is greater than ${node.maximum}.`)) return STOP;
    if (node.exclusiveMinimum !== null && value <= node.exclusiveMinimum && failed(`${value} is less than or equal to ${node.exclusiveMinimum}.`)) return STOP;
    if (node.exclusiveMaximum !== null && value >= node.exclusiveMaximum && failed(`${value} is greater than or equal to ${node.exclusiveMaximum}.`)) return STOP;
    if (node.multipleOf !== null && !isMultipleOf(value, node.multipleOf) && failed(`${value} is not a multiple of ${node.multipleOf}.`)) return STOP;
    return outcome;
  }

  private checkString(value: string, node: Node, report: boolean): Outcome {
    let outcome: Outcome = OK;
    const failed = (message: string): boolean => (outcome = this.fail(report, message)) === STOP;
    if (node.minLength !== null || node.maxLength !== null) {
      this.chargeText(value);
      const length = codePoints(value);
      if (node.minLength !== null && length < node.minLength && failed(`String is too short (${length} < ${node.minLength}).`)) return STOP;
      if (node.maxLength !== null && length > node.maxLength && failed(`String is too long (${length} > ${node.maxLength}).`)) return STOP;
    }
    if (node.pattern) {
      this.chargeMatch(node.pattern, value);
      const message = node.pattern === UNRUNNABLE ? "The schema's pattern cannot be run in linear time (backreference or lookaround): an admin must change the event type's schema." : "String does not match pattern.";
      if (!node.pattern.test(value) && failed(message)) return STOP;
    }
    if (node.format) {
      this.chargeText(value);
      if (!node.format(value) && failed(`String does not match format "${node.formatName}".`)) return STOP;
    }
    return outcome;
  }
}

/** Canonical JSON text of a schema's own value (`enum`, `const`), computed once when compiling. */
function canonicalUncharged(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalUncharged).join(",")}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalUncharged(value[k])}`).join(",")}}`;
  return JSON.stringify(value);
}

/** The value a `const` requires, shown while short. */
function constMessage(value: unknown): string {
  const shown = JSON.stringify(value);
  return shown.length <= 200 ? `Instance does not match ${shown}.` : "Instance does not match the value the schema's const requires.";
}

/** The values an `enum` allows, listed while short; a long list is only counted. */
function enumMessage(values: unknown[]): string {
  const listed = JSON.stringify(values);
  return listed.length <= 200 ? `Instance does not match any of ${listed}.` : `Instance does not match any of the ${values.length} values the schema allows.`;
}
