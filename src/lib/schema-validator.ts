import { readSchema } from "./schema-node";
import { Validation, type SchemaViolation, type StepBudget } from "./schema-validation";

export { CHARACTERS_PER_STEP, ValidationTooComplex, type SchemaViolation, type StepBudget } from "./schema-validation";

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

/** A schema compiled for bounded validation. */
export interface BoundedValidator {
  /**
   * The problems of `instance` (at most `maxViolations`, in schema keyword order), [] when it matches.
   * The steps taken are deducted from `budget`.
   * @throws ValidationTooComplex when checking it would take more than `budget.remaining` steps
   */
  validate(instance: unknown, budget: StepBudget, maxViolations: number): SchemaViolation[];
}

/**
 * Prepares `schema` (one schemaProblems accepted: its `$ref`s resolve, its patterns compile) for
 * bounded validation; patterns are compiled here, once.
 * A pattern that cannot run in linear time (only in a schema stored before schemaProblems refused
 * them) matches nothing: `pattern` then refuses every string, saying why, rather than running it on
 * a backtracking engine or failing the enqueue with a 500.
 */
export function compileBoundedValidator(schema: unknown): BoundedValidator {
  const root = readSchema(schema);
  return {
    validate(instance, budget, maxViolations) {
      return new Validation(budget, maxViolations).run(root, instance);
    },
  };
}
