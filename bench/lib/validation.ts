// Phase 8, validation: the worst time to check one 256 KiB payload against each hostile schema of
// issue 21 (a backtracking `format`, a catastrophic `pattern` and `patternProperties`, `$ref` and
// `allOf`/`anyOf` fan-out, a huge `enum`, `uniqueItems`), with enqueue's own code
// (src/lib/json-schema.ts, bundled by esbuild) in this Node process: V8, as in workerd, and
// measurable here, where workerd's clock stands still while JavaScript runs. Times are this
// process's CPU time (user + system), not wall time: on a machine shared with other work the wall
// clock measures the neighbours. Runs without the relay:
// `node bench/lib/validation.ts` prints the figures as JSON.
import { build } from "esbuild";
import path from "node:path";
import { extractionPayload } from "./extraction-payload.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
/** The payload size every figure is measured at (bytes of JSON text), DEFAULT_PAYLOAD_BYTES. */
const PAYLOAD_BYTES = 256 * 1024;
/** Timed runs per schema, after one untimed run that lets V8 compile the hot paths. */
export const VALIDATION_RUNS = 5;

export interface ValidationFigure {
  schema: string;
  /** What enqueue answers: 202 (`match`), 422 `payload_schema_mismatch` or 422 `payload_too_complex`. */
  outcome: "match" | "payload_schema_mismatch" | "payload_too_complex";
  payloadBytes: number;
  worst_ms: number;
  /** Budget steps the check took (all of VALIDATION_BUDGET_STEPS when `payload_too_complex`). */
  steps: number;
}

export interface ValidationResult {
  /** The slowest of all schemas' worst runs (CPU ms): the figure the issue sets ≤ 50 for. */
  worst_ms_256kib: number;
  figures: ValidationFigure[];
}

interface JsonSchemaModule {
  compileSchema(schema: unknown): { check(instance: unknown, base: string, budget: { remaining: number }): unknown[] };
  ValidationTooComplex: new () => Error;
  VALIDATION_BUDGET_STEPS: number;
}

/** src/lib/json-schema.ts and the budget as one ES module (its imports have no extensions, which Node does not resolve). */
async function loadValidator(): Promise<JsonSchemaModule> {
  const entry = 'export * from "./src/lib/json-schema"; export { VALIDATION_BUDGET_STEPS } from "./src/limits";';
  const bundled = await build({ stdin: { contents: entry, resolveDir: ROOT, loader: "ts" }, bundle: true, format: "esm", platform: "neutral", write: false, logLevel: "silent" });
  const code = bundled.outputFiles[0]!.text;
  return (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as JsonSchemaModule;
}

/** `make(n)` grown until its JSON text reaches PAYLOAD_BYTES (doubling, then bisecting). */
function sized(make: (n: number) => unknown): unknown {
  const size = (n: number) => JSON.stringify(make(n)).length;
  let high = 1;
  while (size(high) < PAYLOAD_BYTES) high *= 2;
  let low = Math.floor(high / 2);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (size(mid) < PAYLOAD_BYTES) low = mid;
    else high = mid;
  }
  return make(low);
}

/** The 21-level `$defs` chain of the field report: each level `allOf` two `$ref`s to the next. */
function fanOut(levels: number) {
  const $defs: Record<string, unknown> = { [`l${levels}`]: { type: "string" } };
  for (let n = 0; n < levels; n++) $defs[`l${n}`] = { allOf: [{ $ref: `#/$defs/l${n + 1}` }, { $ref: `#/$defs/l${n + 1}` }] };
  return { $defs, $ref: "#/$defs/l0" };
}

function nestedApplicators(levels: number): unknown {
  let schema: unknown = { type: "string" };
  for (let n = 0; n < levels; n++) schema = n % 2 ? { allOf: [schema, schema] } : { anyOf: [schema, schema] };
  return schema;
}

function deepArray(depth: number): unknown {
  let value: unknown = [1];
  for (let n = 0; n < depth; n++) value = [value];
  return value;
}

/** A long string that made each format's former backtracking check take exponential time, or just a long bad one. */
const FORMAT_HOSTILE: Record<string, (n: number) => string> = {
  url: (n) => `http://${"a".repeat(n)}!`,
  email: (n) => `${"a".repeat(n)}@${"a-".repeat(n)}!`,
  uri: (n) => `http://${"a".repeat(n)}\u0000`,
  "uri-reference": (n) => `${"%aa".repeat(n)}%`,
  iri: (n) => `http://${"ü".repeat(n)} `,
  "iri-reference": (n) => `/${"ü".repeat(n)} `,
  "uri-template": (n) => `${"{a}".repeat(n)}{`,
  hostname: (n) => `${"a.".repeat(n)}-`,
  "date-time": (n) => `2026-12-07T12:30:00.${"1".repeat(n)}`,
  date: (n) => "2".repeat(n),
  time: (n) => `12:30:00.${"9".repeat(n)}+`,
  duration: (n) => `P${"1".repeat(n)}`,
  ipv4: (n) => "1.".repeat(n),
  ipv6: (n) => "1:".repeat(n),
  uuid: (n) => "a".repeat(n),
  regex: (n) => `${"(".repeat(n)}a`,
  "json-pointer": (n) => `${"/~0".repeat(n)}~`,
  "json-pointer-uri-fragment": (n) => `#${"/a".repeat(n)} `,
  "relative-json-pointer": (n) => `1${"/a".repeat(n)}~`,
};

/** Each hostile schema with a payload of about PAYLOAD_BYTES built to make it work hardest. */
function cases(): Array<{ schema: string; definition: unknown; payload: unknown }> {
  const hugeEnum = Array.from({ length: 10_000 }, (_, i) => `value-${i}`);
  return [
    ...Object.entries(FORMAT_HOSTILE).map(([format, make]) => ({
      schema: `format ${format}`,
      definition: { type: "object", properties: { u: { type: "string", format } } },
      payload: sized((n) => ({ u: make(n) })),
    })),
    { schema: 'pattern "^(a+)+$"', definition: { type: "string", pattern: "^(a+)+$" }, payload: sized((n) => `${"a".repeat(n)}!`) },
    {
      schema: 'patternProperties "^(a|a)*$", many keys',
      definition: { type: "object", patternProperties: { "^(a|a)*$": { type: "integer" } }, additionalProperties: false },
      payload: sized((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${"a".repeat(28)}${i}!`, 1]))),
    },
    { schema: "$ref fan-out, 21 levels (refused at creation; as if stored before)", definition: fanOut(21), payload: sized((n) => "x".repeat(n)) },
    { schema: "allOf/anyOf nested inline, 12 levels (refused at creation)", definition: { type: "array", items: nestedApplicators(12) }, payload: sized((n) => Array.from({ length: n }, () => "x")) },
    {
      schema: "anyOf of two recursive array branches, 30 levels of nesting (accepted; budget)",
      definition: { $defs: { t: { anyOf: [{ type: "array", items: { $ref: "#/$defs/t" } }, { type: "array", items: { $ref: "#/$defs/t" } }] } }, $ref: "#/$defs/t" },
      payload: sized((n) => [deepArray(30), ...Array.from({ length: n }, () => "x")]),
    },
    { schema: "enum of 10,000 strings on every item", definition: { type: "array", items: { enum: hugeEnum } }, payload: sized((n) => Array.from({ length: n }, (_, i) => hugeEnum[i % hugeEnum.length])) },
    { schema: "uniqueItems on small objects", definition: { type: "array", uniqueItems: true }, payload: sized((n) => Array.from({ length: n }, (_, i) => ({ id: i }))) },
    { schema: "uniqueItems on numbers", definition: { type: "array", uniqueItems: true }, payload: sized((n) => Array.from({ length: n }, (_, i) => i)) },
    ...calibrationCases(),
  ];
}

/** `count` copies of `schema` under one `allOf`. */
function allOfCopies(count: number, schema: unknown): Record<string, unknown> {
  return { allOf: Array.from({ length: count }, () => schema) };
}

/** `levels` of `allOf` around `inner`, under `unevaluatedProperties`: each level merges what the one below evaluated. */
function evaluatedChain(levels: number): unknown {
  let schema: unknown = { additionalProperties: true };
  for (let n = 0; n < levels; n++) schema = { allOf: [schema] };
  return { type: "object", unevaluatedProperties: false, allOf: [schema] };
}

/** `n` characters of a and b in no short period: the text on which a lazy DFA's states thrash. */
function abText(n: number): string {
  return Array.from({ length: n }, (_, i) => ((i * 7919) % 13 < 6 ? "a" : "b")).join("");
}

const NUMBER = { type: "number", minimum: 0 };
const POLYGON = { type: "array", minItems: 4, maxItems: 4, items: { type: "array", prefixItems: [NUMBER, NUMBER], minItems: 2, maxItems: 2 } };
/** What an admin would enforce on bench/lib/extraction-payload.ts: every value typed, ids patterned. */
const EXTRACTION_SCHEMA = {
  type: "object",
  required: ["document_id", "model", "fields", "line_items"],
  properties: {
    document_id: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
    model: { type: "string", minLength: 1, maxLength: 64 },
    fields: { type: "object", additionalProperties: { type: "object", required: ["value", "confidence"], properties: { value: { type: ["string", "number"] }, confidence: NUMBER, polygon: POLYGON } } },
    line_items: { type: "array", items: { type: "object", required: ["description", "quantity"], properties: { description: { type: "string", maxLength: 1000 }, quantity: NUMBER, unit_price: NUMBER, total_amount: NUMBER, confidence: NUMBER, polygon: POLYGON } } },
  },
};

/** The cases a review found costly within the former budget: one per kind of step the budget counts. */
function calibrationCases(): Array<{ schema: string; definition: unknown; payload: unknown }> {
  const names = Array.from({ length: 1000 }, (_, i) => `k${i}`);
  const manyKeys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
  return [
    { schema: "realistic: 4 KiB invoice extraction (must match)", definition: EXTRACTION_SCHEMA, payload: extractionPayload(1) },
    { schema: "realistic: 256 KiB invoice extraction (must match)", definition: EXTRACTION_SCHEMA, payload: extractionPayload(1, PAYLOAD_BYTES) },
    { schema: 'pattern "a[ab]{20}c" on one long string', definition: { type: "string", pattern: "a[ab]{20}c" }, payload: sized(abText) },
    { schema: 'pattern "^[a-z]+$" on one long string', definition: { type: "string", pattern: "^[a-z]+$" }, payload: sized((n) => "a".repeat(n)) },
    // The longest strings the budget lets these patterns run on: the most a match can cost.
    { schema: 'pattern "^(a|b)+$" on 140,000 characters (within budget)', definition: { type: "string", pattern: "^(a|b)+$" }, payload: abText(140_000) },
    { schema: 'pattern "a[ab]{20}c" on 70,000 characters (within budget)', definition: { type: "string", pattern: "a[ab]{20}c" }, payload: abText(70_000) },
    { schema: 'allOf of 30 patterns "a[ab]{20}c"', definition: allOfCopies(30, { pattern: "a[ab]{20}c" }), payload: sized(abText) },
    ...["uri-template", "uri-reference", "iri", "email"].map((format) => ({
      schema: `allOf of 30 format ${format} on one valid long string`,
      definition: allOfCopies(30, { format }),
      payload: sized((n) => (format === "iri" ? `http://${"a".repeat(n)}` : format === "email" ? `${"a".repeat(n)}@example.com` : "a".repeat(n))),
    })),
    { schema: "unevaluatedProperties over 60 nested allOf, many properties", definition: evaluatedChain(60), payload: sized(manyKeys) },
    { schema: "required of 1,000 names via 30 $refs, many properties", definition: { $defs: { r: { required: names } }, ...allOfCopies(30, { $ref: "#/$defs/r" }) }, payload: sized(manyKeys) },
    { schema: "enum of 1,000 objects on every item", definition: { type: "array", items: { enum: Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `n${i}` })) } }, payload: sized((n) => Array.from({ length: n }, (_, i) => ({ id: i, name: `n${i}` }))) },
    { schema: "uniqueItems on long strings", definition: { type: "array", uniqueItems: true }, payload: sized((n) => Array.from({ length: n }, (_, i) => `${"s".repeat(1000)}${i}`)) },
  ];
}

/** Measures every hostile schema; see the module comment. */
export async function measureValidation(): Promise<ValidationResult> {
  const { compileSchema, ValidationTooComplex, VALIDATION_BUDGET_STEPS } = await loadValidator();
  const figures: ValidationFigure[] = [];
  for (const c of cases()) {
    const compiled = compileSchema(c.definition);
    let outcome: ValidationFigure["outcome"] = "match";
    let worst = 0;
    let steps = 0;
    for (let run = 0; run <= VALIDATION_RUNS; run++) {
      const budget = { remaining: VALIDATION_BUDGET_STEPS };
      const started = process.cpuUsage();
      try {
        outcome = compiled.check(c.payload, "payload", budget).length === 0 ? "match" : "payload_schema_mismatch";
      } catch (error) {
        if (!(error instanceof ValidationTooComplex)) throw error;
        outcome = "payload_too_complex";
      }
      const spent = process.cpuUsage(started);
      steps = VALIDATION_BUDGET_STEPS - Math.max(0, budget.remaining);
      if (run > 0) worst = Math.max(worst, (spent.user + spent.system) / 1000);
    }
    figures.push({ schema: c.schema, outcome, payloadBytes: JSON.stringify(c.payload).length, worst_ms: Math.round(worst * 10) / 10, steps });
  }
  return { worst_ms_256kib: Math.max(...figures.map((f) => f.worst_ms)), figures };
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(await measureValidation(), null, 2)}\n`);
