import { enforcedSchemas } from "../db/event-types";
import { ApiError, type ErrorIssue } from "../errors";
import { IsolateCache } from "../lib/isolate-cache";
import { compileSchema, MAX_SCHEMA_ISSUES, ValidationTooComplex, type CompiledSchema, type StepBudget } from "../lib/json-schema";
import { DEFAULT_PAYLOAD_BYTES, VALIDATION_BUDGET_STEPS } from "../limits";
import { OPERATIONAL_SOURCE } from "./operational-names";

/**
 * Enqueue's check of payloads against the event-type catalogue: a payload whose type has a schema
 * and `enforce` on must match it. What the catalogue says about a type is cached in this isolate
 * for CATALOGUE_CACHE_TTL_MS (unknown and unenforced types too), so an enqueue usually reads
 * nothing; a miss costs one control-database read for all the request's types together. A change
 * made through this isolate forgets its entry at once (forgetEventType); other isolates see it
 * within CATALOGUE_CACHE_TTL_MS. Compiled validators are kept per (name, updated_at): an edit
 * compiles anew, a refresh of an unchanged type does not.
 */

/** How long this isolate trusts what it read of an event type (ms); README "Event types" names it. */
export const CATALOGUE_CACHE_TTL_MS = 10_000;

/** The enforced schema of a type, compiled, with the version it was compiled from; null when nothing is enforced. */
type Enforced = { version: number; schema: CompiledSchema } | null;

const cache = new IsolateCache<string, Enforced>({ ttlMs: CATALOGUE_CACHE_TTL_MS, maxEntries: 1000, whenFull: "clear" });

/** Makes the next enqueue in this isolate read event type `name` afresh (after it was created, changed or deleted here). */
export function forgetEventType(name: string): void {
  cache.forget(name);
}

/** The compiled enforced schemas of `names` (types without one are absent), reading D1 at most once. */
async function enforcedValidators(db: D1Database, names: string[], now: number): Promise<Map<string, CompiledSchema>> {
  const known = new Map(names.map((name) => [name, cache.get(name, now)]));
  const stale = names.filter((name) => known.get(name) === undefined);
  if (stale.length > 0) {
    const read = cache.readStarts();
    const rows = new Map((await enforcedSchemas(db, stale)).map((row) => [row.name, row]));
    for (const name of stale) {
      const row = rows.get(name);
      const previous = cache.getStale(name);
      const enforced = !row ? null : previous?.version === row.updated_at ? previous : { version: row.updated_at, schema: compileSchema(JSON.parse(row.schema)) };
      known.set(name, enforced);
      cache.set(name, enforced, { read, now });
    }
  }
  const validators = new Map<string, CompiledSchema>();
  for (const [name, enforced] of known) if (enforced) validators.set(name, enforced.schema);
  return validators;
}

/**
 * The validation budget of one request's payloads, shared by them all: VALIDATION_BUDGET_STEPS per
 * DEFAULT_PAYLOAD_BYTES of payload text (at least one), so the work is bounded by the request's size,
 * not multiplied by its message count (100 payloads of 34 bytes that each spend a budget would
 * otherwise cost 100 budgets of CPU in one 5 KB batch).
 */
function requestBudget(payloads: string[]): StepBudget {
  const characters = payloads.reduce((sum, payload) => sum + payload.length, 0);
  return { remaining: VALIDATION_BUDGET_STEPS * Math.max(1, Math.ceil(characters / DEFAULT_PAYLOAD_BYTES)) };
}

/**
 * The mismatches of one payload, its steps taken from `budget`.
 * @throws ApiError 422 `payload_too_complex` naming the payload when the budget runs out on it
 */
function checkWithinBudget(schema: CompiledSchema, payload: unknown, path: string, event: string, budget: StepBudget, batch: boolean): ErrorIssue[] {
  try {
    return schema.check(payload, path, budget);
  } catch (error) {
    if (!(error instanceof ValidationTooComplex)) throw error;
    const what = batch ? "the payloads of this batch against their event types' schemas" : `the payload against the schema of event type "${event}"`;
    throw new ApiError(422, "payload_too_complex", `Checking ${what} would take more than the validation budget of this request; nothing was stored`, [
      { path, message: "takes too much work to check against its event type's schema" },
    ]);
  }
}

/**
 * Refuses messages whose payload does not match their event type's enforced schema, before
 * anything is stored. Operational messages (source OPERATIONAL_SOURCE) are never checked: the relay
 * makes their payloads, whose shape the OpenAPI document fixes, and a catalogued type of the same
 * name must not drop them.
 *
 * @param messages each message's event type, source, payload (its exact JSON text, which sizes the
 *   budget) and the payload's parsed value (what is checked)
 * @param pathOf where message `index`'s payload sits in the request: `payload`, or `messages.3.payload`
 * @throws ApiError 422 `payload_schema_mismatch` whose `issues` list every mismatch (up to
 *   MAX_SCHEMA_ISSUES), each path under `pathOf(index)`; 422 `payload_too_complex` naming the
 *   payload on which the request's budget (requestBudget) ran out (payloads that make their
 *   schema fan out, e.g. deeply nested arrays under `anyOf`s that each recurse)
 */
export async function assertPayloadsMatch(
  env: Env,
  messages: Array<{ event: string; source?: string | null; payload: string; value: unknown }>,
  pathOf: (index: number) => string,
  now = Date.now(),
): Promise<void> {
  const checked = messages.filter((m) => m.source !== OPERATIONAL_SOURCE);
  if (checked.length === 0) return;
  const validators = await enforcedValidators(env.DB, [...new Set(checked.map((m) => m.event))], now);
  if (validators.size === 0) return;
  const issues: ErrorIssue[] = [];
  const types = new Set<string>();
  const budget = requestBudget(checked.map((m) => m.payload));
  messages.forEach((m, index) => {
    const schema = m.source === OPERATIONAL_SOURCE ? undefined : validators.get(m.event);
    if (!schema || issues.length >= MAX_SCHEMA_ISSUES) return;
    const found = checkWithinBudget(schema, m.value, pathOf(index), m.event, budget, messages.length > 1);
    if (found.length > 0) types.add(m.event);
    issues.push(...found);
  });
  if (issues.length === 0) return;
  const named = [...types].map((t) => `"${t}"`).join(", ");
  throw new ApiError(
    422,
    "payload_schema_mismatch",
    messages.length === 1
      ? `The payload does not match the schema of event type ${named}`
      : `Payloads do not match the schema of event type ${named}; nothing was stored`,
    issues.slice(0, MAX_SCHEMA_ISSUES),
  );
}
