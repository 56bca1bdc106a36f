import { matchSteps, type LinearRegex } from "./linear-regex";
import { checkArray, checkNumber, checkObject, checkString } from "./schema-keywords";
import type { Node } from "./schema-node";
import { FAILED, mergeEvaluated, newEvaluated, OK, STOP, worse, type Evaluated, type Outcome, type Tally } from "./schema-outcome";

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

/** Characters of a string matched or checked per step: a step is about one schema applied to one value. */
export const CHARACTERS_PER_STEP = 16;
/** Property-name lookups (a `required` name, a key of an object) per step: a lookup in a large object is a slow hash probe. */
const LOOKUPS_PER_STEP = 2;
/** Steps per evaluated name copied up a level: up to ~800 ns each (Set insertions), measured over 60 levels × 25,000 properties. */
const MERGE_STEPS_PER_NAME = 8;
/** Objects with at least this many keys have them listed once per validation. */
const LARGE_OBJECT_KEYS = 64;

/** The JSON type of `value` as JSON Schema names it (`number` for integers too, as the messages say). */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** One run of a validator over one instance, with its step count, where it is, and its violations. */
export class Validation {
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

  charge(steps: number): void {
    this.budget.remaining -= steps;
    if (this.budget.remaining < 0) throw new ValidationTooComplex("validation needs more steps than its budget");
  }

  /** Charges `count` property-name lookups: lists in a schema (`required`) or an object's keys can be long. */
  chargeLookups(count: number): void {
    this.charge(1 + Math.floor(count / LOOKUPS_PER_STEP));
  }

  /**
   * The own keys of `value`. A large object's are listed once per validation however many schemas
   * apply to it (listing 25,000 keys for each of 999 schemas took ~20 s); small objects are listed
   * each time, which is cheaper than remembering them.
   */
  keysOf(value: Record<string, unknown>): string[] {
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
  namesPresent(names: Map<string, unknown>, value: Record<string, unknown>, keys: string[]): string[] {
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
  merge(into: Evaluated, from: Evaluated): void {
    this.charge(1 + MERGE_STEPS_PER_NAME * (from.properties.size + from.items.size));
    mergeEvaluated(into, from);
  }

  chargeText(s: string): void {
    this.charge(1 + Math.floor(s.length / CHARACTERS_PER_STEP));
  }

  /** Charges matching `regex` on `s`: its work per character grows with the regex's program. */
  chargeMatch(regex: LinearRegex, s: string): void {
    this.charge(matchSteps(regex.size, s.length));
  }

  /** Whether checking may stop after a failure: always when not reporting, else when the list is full. */
  private stopAfterFailure(report: boolean): boolean {
    return !report || this.violations.length >= this.maxViolations;
  }

  /** What a subschema's failure (it reported for itself) means here: STOP when checking may stop now. */
  private afterSubschemaFailed(report: boolean): Outcome {
    return this.stopAfterFailure(report) ? STOP : FAILED;
  }

  /** Records a violation at the current path when reporting; STOP when checking may stop now. */
  private fail(report: boolean, message: string): Outcome {
    if (report && this.violations.length < this.maxViolations) this.violations.push({ path: this.path.map(String), message });
    return this.stopAfterFailure(report) ? STOP : FAILED;
  }

  /** Checks `value` (at `key` below the current path) against `node`. */
  checkChild(value: unknown, key: string | number, node: Node, report: boolean): boolean {
    this.path.push(key);
    const valid = this.check(value, node, report, null);
    this.path.pop();
    return valid;
  }

  /** A fresh tally of one keyword group's failures, reported as `fail` does. */
  tally(report: boolean): Tally {
    const tally: Tally = {
      outcome: OK,
      failed: (message) => {
        tally.outcome = message === null ? this.afterSubschemaFailed(report) : this.fail(report, message);
        return tally.outcome === STOP;
      },
    };
    return tally;
  }

  /** Canonical JSON text of `value` (object keys sorted), paid for by its size: equal JSON values, equal texts. */
  canonical(value: unknown): string {
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
  check(value: unknown, node: Node, report: boolean, out: Evaluated | null): boolean {
    this.charge(1);
    if (node.always !== null) {
      if (!node.always) this.fail(report, "is not allowed by the schema");
      return node.always;
    }
    const type = jsonType(value);
    const mine = (type === "object" || type === "array") && (out !== null || node.unevaluated) ? newEvaluated() : null;
    let outcome: Outcome = OK;
    if (node.ref && !this.check(value, node.ref, report, mine) && (outcome = this.afterSubschemaFailed(report)) === STOP) return false;
    outcome = worse(outcome, this.checkAssertions(value, type, node, report));
    if (outcome !== STOP) outcome = worse(outcome, this.checkApplicators(value, node, report, mine));
    if (outcome !== STOP) outcome = worse(outcome, this.checkTyped(value, type, node, report, mine));
    if (outcome !== OK) return false;
    if (out && mine) this.merge(out, mine);
    return true;
  }

  /** `type`, `const` and `enum`. */
  private checkAssertions(value: unknown, type: string, node: Node, report: boolean): Outcome {
    let outcome: Outcome = OK;
    if (node.types && !node.types.some((t) => t === type || (t === "integer" && type === "number" && Number.isInteger(value)))) {
      outcome = this.fail(report, `Instance type "${type}" is invalid. Expected "${node.types.join('", "')}".`);
      if (outcome === STOP) return STOP;
    }
    if (node.constText !== null && this.canonical(value) !== node.constText) {
      outcome = this.fail(report, node.constMessage);
      if (outcome === STOP) return STOP;
    }
    if (node.enumSet && !node.enumSet.has(this.canonical(value))) outcome = this.fail(report, node.enumMessage);
    return outcome;
  }

  /** The in-place applicators after `$ref`: `not`, `allOf`, `anyOf`, `oneOf`, `if` / `then` / `else`. */
  private checkApplicators(value: unknown, node: Node, report: boolean, mine: Evaluated | null): Outcome {
    let outcome: Outcome = OK;
    if (node.not && this.check(value, node.not, false, null) && (outcome = this.fail(report, 'Instance matched "not" schema.')) === STOP) return STOP;
    if (node.allOf) {
      for (const sub of node.allOf) if (!this.check(value, sub, report, mine) && (outcome = this.afterSubschemaFailed(report)) === STOP) return STOP;
    }
    if (node.anyOf) {
      let any = false;
      for (const sub of node.anyOf) {
        if (!this.check(value, sub, false, mine)) continue;
        any = true;
        // Later matches only add annotations, which only an `unevaluated*` needs.
        if (!mine) break;
      }
      if (!any && (outcome = this.fail(report, "Instance does not match any subschemas.")) === STOP) return STOP;
    }
    if (node.oneOf) {
      let matches = 0;
      const evaluated = mine ? newEvaluated() : null;
      for (const sub of node.oneOf) if (this.check(value, sub, false, evaluated)) matches += 1;
      if (matches === 1 && mine && evaluated) this.merge(mine, evaluated);
      if (matches !== 1 && (outcome = this.fail(report, `Instance does not match exactly one subschema (${matches} matches).`)) === STOP) return STOP;
    }
    if (node.ifNode) {
      const conditionEvaluated = mine ? newEvaluated() : null;
      const holds = this.check(value, node.ifNode, false, conditionEvaluated);
      if (holds && mine && conditionEvaluated) this.merge(mine, conditionEvaluated);
      const branch = holds ? node.thenNode : node.elseNode;
      if (branch && !this.check(value, branch, report, mine) && (outcome = this.afterSubschemaFailed(report)) === STOP) return STOP;
    }
    return outcome;
  }

  /** The keywords of `value`'s own JSON type (src/lib/schema-keywords.ts). */
  private checkTyped(value: unknown, type: string, node: Node, report: boolean, mine: Evaluated | null): Outcome {
    if (type === "object") return checkObject(this, value as Record<string, unknown>, node, report, mine);
    if (type === "array") return checkArray(this, value as unknown[], node, report, mine);
    if (type === "number" && node.numberChecks) return checkNumber(this, value as number, node, report);
    if (type === "string" && node.stringChecks) return checkString(this, value as string, node, report);
    return OK;
  }
}
