import * as stored from "../db/event-types";
import { ApiError, notFound } from "../errors";
import { IsolateCache } from "../lib/isolate-cache";
import { compileSchema, schemaProblems, ValidationTooComplex } from "../lib/json-schema";
import type { Endpoint } from "../schemas/endpoints";
import type { CreateEventTypeInput, EventTypeRecord, UpdateEventTypeInput } from "../schemas/event-types";
import { examplePayload, testEventTypes } from "./endpoints";
import { CATALOGUE_CACHE_TTL_MS, forgetEventType } from "./event-type-checks";

/**
 * The event-type catalogue: the event types the platform sends, each with a description and
 * optionally a JSON Schema, an example payload, `enforce` (enqueue refuses payloads that do not
 * match, src/ops/event-type-checks.ts) and `deprecated`. One catalogue for the whole relay, in the
 * control database; the admin token writes it, tenant keys read it.
 */

/** How often an edit retries when another edit of the same type slipped in between its read and its write. */
const EDIT_ATTEMPTS = 3;

/**
 * Checks a type's schema and example together.
 * @throws ApiError 400 `invalid_schema` when the schema is not a valid draft 2020-12 schema or would
 *   cost unbounded work (issues under `schema.`), 400 `example_mismatch` when the example does not
 *   match it (issues under `example`), 400 `example_too_complex` when checking the example exceeds
 *   the validation budget, as such a payload's enqueue would
 */
function assertDefinitionValid(schema: unknown, example: unknown): void {
  if (schema === null || schema === undefined) return;
  const schemaIssues = schemaProblems(schema);
  if (schemaIssues.length > 0) throw new ApiError(400, "invalid_schema", "`schema` is not a valid JSON Schema (draft 2020-12)", schemaIssues);
  if (example === null || example === undefined) return;
  let exampleIssues;
  try {
    exampleIssues = compileSchema(schema).check(example, "example");
  } catch (error) {
    if (!(error instanceof ValidationTooComplex)) throw error;
    throw new ApiError(400, "example_too_complex", "Checking `example` against `schema` takes more work than enqueue allows a payload", [
      { path: "example", message: "takes too much work to check against the schema" },
    ]);
  }
  if (exampleIssues.length > 0) throw new ApiError(400, "example_mismatch", "`example` does not match `schema`", exampleIssues);
}

/**
 * Adds an event type to the catalogue.
 * @throws ApiError 400 `invalid_schema` / `example_mismatch`, 409 `event_type_exists` when the name is taken
 */
export async function createEventType(env: Env, input: CreateEventTypeInput, now = Date.now()): Promise<EventTypeRecord> {
  assertDefinitionValid(input.schema, input.example);
  const created = await stored.insertEventType(
    env.DB,
    { name: input.name, description: input.description, schema: input.schema ?? null, example: input.example ?? null, enforce: input.enforce, deprecated: input.deprecated },
    now,
  );
  if (!created) throw new ApiError(409, "event_type_exists", `The event type "${input.name}" is already in the catalogue`);
  forget(input.name);
  return created;
}

/** One event type; 404 when the catalogue has none of this name. */
export async function getEventType(env: Env, name: string): Promise<EventTypeRecord> {
  const found = await stored.getEventType(env.DB, name);
  if (!found) throw notFound("Event type");
  return found;
}

/** How many event types the dashboard shows at most: the whole catalogue of any real platform, in one read. */
export const CATALOGUE_SHOWN = 500;

/** The catalogue as last read by this isolate (one entry). */
const shown = new IsolateCache<"catalogue", EventTypeRecord[]>({ ttlMs: CATALOGUE_CACHE_TTL_MS, maxEntries: 1 });

/** Forgets what this isolate knows of an event type after an edit, for enqueue's checks and for wholeCatalogue. */
function forget(name: string): void {
  forgetEventType(name);
  shown.clear();
}

/**
 * The catalogue as the dashboard and `/openapi.json` show it: its first CATALOGUE_SHOWN types, in
 * name order. Read at most once per CATALOGUE_CACHE_TTL_MS per isolate (the document is public, so
 * requests for it must not each read 500 rows); an edit on this isolate shows at once.
 */
export function wholeCatalogue(env: Env, now = Date.now()): Promise<EventTypeRecord[]> {
  return shown.load("catalogue", async () => (await stored.listEventTypes(env.DB, { limit: CATALOGUE_SHOWN })).data, now);
}

/** A page of the catalogue, in name order. */
export function listEventTypes(env: Env, query: { limit: number; cursor?: string }): ReturnType<typeof stored.listEventTypes> {
  return stored.listEventTypes(env.DB, query);
}

/**
 * Changes what `changes` names (`schema: null` / `example: null` remove them). The example is
 * checked against the schema the type has after the change, whichever of the two changed. The next
 * enqueue in this isolate uses the new definition; others within CATALOGUE_CACHE_TTL_MS.
 * @throws ApiError 404, 400 `invalid_schema` / `example_mismatch`, 409 `conflict` when concurrent edits kept winning
 */
export async function updateEventType(env: Env, name: string, changes: UpdateEventTypeInput, now = Date.now()): Promise<EventTypeRecord> {
  for (let attempt = 1; attempt <= EDIT_ATTEMPTS; attempt++) {
    const current = await getEventType(env, name);
    const next = {
      name,
      description: changes.description ?? current.description,
      schema: changes.schema !== undefined ? changes.schema : current.schema,
      example: changes.example !== undefined ? changes.example : current.example,
      enforce: changes.enforce ?? current.enforce,
      deprecated: changes.deprecated ?? current.deprecated,
    };
    assertDefinitionValid(next.schema, next.example);
    const updated = await stored.replaceEventType(env.DB, next, Date.parse(current.updated_at), now);
    if (updated) {
      forget(name);
      return updated;
    }
  }
  throw new ApiError(409, "conflict", `The event type "${name}" is being changed concurrently; retry`);
}

/** Removes an event type from the catalogue; enqueue no longer checks its payloads. 404 when there is none. */
export async function deleteEventType(env: Env, name: string): Promise<void> {
  if (!(await stored.deleteEventType(env.DB, name))) throw notFound("Event type");
  forget(name);
}

/** Whether an endpoint's event pattern (`invoice.paid`, `invoice.*`, `*`) matches event type `name`, as enqueue matches them. */
export function patternMatches(pattern: string, name: string): boolean {
  return pattern === "*" || pattern === name || (pattern.endsWith("*") && name.startsWith(pattern.slice(0, -1)));
}

/** One event type a test event may be sent as, with the payload text the form starts from. */
export interface TestEventChoice {
  event: string;
  payload: string;
}

/**
 * The event types offered for a test event to `endpoint`: those of testEventTypes, then every
 * catalogued type the endpoint listens for (all of them when it listens for everything). Each
 * starts from its catalogue example, indented, or else from the generic example payload.
 */
export function testEventChoices(endpoint: Endpoint, catalogue: EventTypeRecord[], now = Date.now()): TestEventChoice[] {
  const examples = new Map(catalogue.map((t) => [t.name, t.example]));
  const listened = catalogue.filter((t) => endpoint.events.length === 0 || endpoint.events.some((p) => patternMatches(p, t.name))).map((t) => t.name);
  return [...new Set([...testEventTypes(endpoint), ...listened])].map((event) => {
    const example = examples.get(event);
    return { event, payload: example === undefined || example === null ? examplePayload(endpoint.id, event, now) : JSON.stringify(example, null, 2) };
  });
}
