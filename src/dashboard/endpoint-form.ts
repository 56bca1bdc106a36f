import type { z } from "zod";
import { issuesFromZod, type ErrorIssue } from "../errors";
import { DEFAULT_TIMEOUT_MS } from "../limits";
import { filterProblems, type PayloadFilter } from "../filters/payload-filter";
import { pathsNotInSchema } from "../filters/schema-paths";
import { patternMatches } from "../ops/event-types";
import type { EventTypeRecord } from "../schemas/event-types";
import { CreateEndpointBody, UpdateEndpointBody, type Endpoint } from "../schemas/endpoints";

/**
 * The endpoint form as the browser sends it: every value a string. It maps onto the API's
 * create/update bodies, which validate it, so the dashboard shows the API's own messages.
 */
export interface EndpointFormValues {
  name: string;
  url: string;
  description: string;
  /** Event patterns typed in (comma-separated); the catalogue's types ticked are in `event_types`. */
  events: string;
  /** The catalogue's event types ticked in the form's checkboxes. */
  event_types: string[];
  source: string;
  enabled: boolean;
  signature_scheme: string;
  signature_header: string;
  signature_prefix: string;
  headers: string;
  max_attempts: string;
  schedule: string;
  timeout_ms: string;
  rate_per_second: string;
  rate_burst: string;
  max_in_flight: string;
  /** The payload filter as JSON text; empty for none. */
  filter: string;
}

/** Form-field name → its error messages. */
export type FieldErrors = Partial<Record<keyof EndpointFormValues | "form", string[]>>;

/** The fields of a new endpoint's form. */
export function newEndpointValues(): EndpointFormValues {
  return {
    name: "",
    url: "",
    description: "",
    events: "",
    event_types: [],
    source: "",
    enabled: true,
    signature_scheme: "standard",
    signature_header: "",
    signature_prefix: "",
    headers: "",
    max_attempts: "",
    schedule: "",
    timeout_ms: String(DEFAULT_TIMEOUT_MS),
    rate_per_second: "",
    rate_burst: "",
    max_in_flight: "",
    filter: "",
  };
}

/**
 * The edit form's fields, filled from an endpoint: its events that are names in `catalogue` as
 * ticked checkboxes, the others (patterns, uncatalogued types) as text.
 */
export function endpointValues(endpoint: Endpoint, catalogue: ReadonlySet<string> = new Set()): EndpointFormValues {
  return {
    name: endpoint.name ?? "",
    url: endpoint.url,
    description: endpoint.description ?? "",
    events: endpoint.events.filter((e) => !catalogue.has(e)).join(", "),
    event_types: endpoint.events.filter((e) => catalogue.has(e)),
    source: endpoint.source ?? "",
    enabled: endpoint.enabled,
    signature_scheme: endpoint.signature.scheme,
    signature_header: endpoint.signature.header ?? "",
    signature_prefix: endpoint.signature.prefix ?? "",
    headers: Object.entries(endpoint.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join("\n"),
    max_attempts: endpoint.retry.max_attempts === undefined ? "" : String(endpoint.retry.max_attempts),
    schedule: (endpoint.retry.schedule ?? []).join(", "),
    timeout_ms: String(endpoint.timeout_ms),
    rate_per_second: endpoint.rate_limit ? String(endpoint.rate_limit.per_second) : "",
    rate_burst: endpoint.rate_limit ? String(endpoint.rate_limit.burst) : "",
    max_in_flight: endpoint.max_in_flight === null ? "" : String(endpoint.max_in_flight),
    filter: endpoint.filter === null ? "" : JSON.stringify(endpoint.filter, null, 2),
  };
}

/** Reads the form fields out of a form body parsed with `parseBody({ all: true })` (ticked `event_type` boxes repeat). */
export function readEndpointForm(body: Record<string, unknown>): EndpointFormValues {
  const text = (name: keyof EndpointFormValues) => (typeof body[name] === "string" ? (body[name] as string) : "");
  const ticked = ([] as unknown[]).concat(body.event_type ?? []).filter((v): v is string => typeof v === "string");
  return {
    name: text("name"),
    url: text("url"),
    description: text("description"),
    events: text("events"),
    event_types: ticked,
    source: text("source"),
    enabled: body.enabled === "on",
    signature_scheme: text("signature_scheme"),
    signature_header: text("signature_header"),
    signature_prefix: text("signature_prefix"),
    headers: text("headers"),
    max_attempts: text("max_attempts"),
    schedule: text("schedule"),
    timeout_ms: text("timeout_ms"),
    rate_per_second: text("rate_per_second"),
    rate_burst: text("rate_burst"),
    max_in_flight: text("max_in_flight"),
    filter: text("filter"),
  };
}

/** A whole number as a number; anything else stays text, so the API schema reports it. */
function numeric(value: string): number | string {
  const trimmed = value.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** Items of a comma- or line-separated list; spaces inside an item stay, so the API reports them. */
const listItems = (value: string) =>
  value
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter(Boolean);

/** Parses "Name: value" lines; a line without a colon is a form error, not an API one. */
function parseHeaders(text: string): { headers: Record<string, string>; problems: string[] } {
  const headers: Record<string, string> = {};
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim()) return;
    const colon = line.indexOf(":");
    if (colon < 1) problems.push(`line ${index + 1}: write each header as "Name: value"`);
    else headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  });
  return { headers, problems };
}

/** The filter typed in: empty is none; text that is not JSON is a form error, not an API one. */
function parseFilter(text: string): { filter: unknown; problem?: string } {
  if (!text.trim()) return { filter: null };
  try {
    return { filter: JSON.parse(text) };
  } catch {
    return { filter: null, problem: 'is not JSON: write an object such as {"amount": {"$gte": 100}}' };
  }
}

/** The API request body the form describes (before validation). Empty optional fields clear them. */
function toRequestBody(values: EndpointFormValues): Record<string, unknown> {
  const optional = (v: string) => (v.trim() === "" ? null : v.trim());
  const signature =
    values.signature_scheme === "hmac-sha256"
      ? {
          scheme: "hmac-sha256",
          ...(values.signature_header.trim() ? { header: values.signature_header.trim() } : {}),
          ...(values.signature_prefix.trim() ? { prefix: values.signature_prefix.trim() } : {}),
        }
      : { scheme: values.signature_scheme || "standard" };
  const schedule = listItems(values.schedule).map(numeric);
  return {
    url: values.url.trim(),
    name: optional(values.name),
    description: optional(values.description),
    // Typed items first, so "Item N" in an error counts the text field's items.
    events: [...new Set([...listItems(values.events), ...values.event_types])],
    source: optional(values.source),
    enabled: values.enabled,
    headers: parseHeaders(values.headers).headers,
    signature,
    retry: {
      ...(values.max_attempts.trim() ? { max_attempts: numeric(values.max_attempts) } : {}),
      ...(schedule.length ? { schedule } : {}),
    },
    timeout_ms: values.timeout_ms.trim() ? numeric(values.timeout_ms) : DEFAULT_TIMEOUT_MS,
    // An empty rate clears the limit; a burst without a rate is reported against the rate.
    rate_limit:
      values.rate_per_second.trim() || values.rate_burst.trim()
        ? { per_second: numeric(values.rate_per_second), ...(values.rate_burst.trim() ? { burst: numeric(values.rate_burst) } : {}) }
        : null,
    max_in_flight: values.max_in_flight.trim() ? numeric(values.max_in_flight) : null,
    filter: parseFilter(values.filter).filter,
  };
}

/** Which form field an API issue path (`retry.schedule.2`, `headers.X-Key`, …) belongs to. */
function fieldOf(path: string): keyof FieldErrors {
  const [head, second] = path.split(".");
  switch (head) {
    case "signature":
      return second === "header" ? "signature_header" : second === "prefix" ? "signature_prefix" : "signature_scheme";
    case "retry":
      return second === "schedule" ? "schedule" : "max_attempts";
    case "rate_limit":
      return second === "burst" ? "rate_burst" : "rate_per_second";
    case "url":
    case "name":
    case "description":
    case "events":
    case "source":
    case "enabled":
    case "headers":
    case "timeout_ms":
    case "max_in_flight":
    case "filter":
      return head;
    default:
      return "form";
  }
}

/** Says which list item or header an issue is about, since one form field holds many. */
function messageOf(issue: ErrorIssue): string {
  const [head, second, third] = issue.path.split(".");
  if (head === "events" && second !== undefined) return `Item ${Number(second) + 1}: ${issue.message}`;
  if (head === "retry" && second === "schedule" && third !== undefined) return `Step ${Number(third) + 1}: ${issue.message}`;
  if (head === "headers" && second !== undefined) return `${issue.path.slice("headers.".length)}: ${issue.message}`;
  if (head === "filter" && second !== undefined) return `${issue.path.slice("filter.".length)}: ${issue.message}`;
  return issue.message;
}

/** Groups API issues by form field. */
export function errorsByField(issues: ErrorIssue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) (errors[fieldOf(issue.path)] ??= []).push(messageOf(issue));
  return errors;
}

/** A validated request body, or the form's errors. */
export type FormResult<T> = { ok: true; body: T } | { ok: false; errors: FieldErrors };

function validate<S extends z.ZodType>(schema: S, values: EndpointFormValues): FormResult<z.output<S>> {
  const headerProblems = parseHeaders(values.headers).problems;
  const parsed = schema.safeParse(toRequestBody(values));
  const errors = parsed.success
    ? {}
    : errorsByField(issuesFromZod(parsed.error));
  if (headerProblems.length) errors.headers = [...headerProblems, ...(errors.headers ?? [])];
  const filterProblem = parseFilter(values.filter).problem;
  if (filterProblem) errors.filter = [filterProblem];
  if (parsed.success && !headerProblems.length && !filterProblem) return { ok: true, body: parsed.data };
  return { ok: false, errors };
}

/** Validates the form as the API validates `POST …/endpoints`. */
export function validateCreate(values: EndpointFormValues) {
  return validate(CreateEndpointBody, values);
}

/** Validates the form as the API validates `PATCH …/endpoints/{id}` (every field is sent). */
export function validateUpdate(values: EndpointFormValues) {
  return validate(UpdateEndpointBody, values);
}

/** A catalogued event type the endpoint listens to whose schema does not declare some of the filter's paths. */
export interface FilterPathNote {
  eventType: string;
  paths: string[];
}

/**
 * For each catalogued type with a schema that the form's events listen to (every type when none
 * is given), the filter's paths its schema does not declare: shown, not refused, since schemas
 * change. Nothing while the filter is empty or invalid (its errors say why).
 */
export function filterPathNotes(values: EndpointFormValues, eventTypes: EventTypeRecord[]): FilterPathNote[] {
  const { filter, problem } = parseFilter(values.filter);
  if (problem || filter === null || filterProblems(filter).length > 0) return [];
  const patterns = [...listItems(values.events), ...values.event_types];
  return eventTypes.flatMap((type) => {
    if (!type.schema || (patterns.length > 0 && !patterns.some((p) => patternMatches(p, type.name)))) return [];
    const paths = pathsNotInSchema(filter as PayloadFilter, type.schema);
    return paths.length > 0 ? [{ eventType: type.name, paths }] : [];
  });
}
