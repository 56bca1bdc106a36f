import { dereference, type Schema } from "@cfworker/json-schema";
import type { EventTypeRecord } from "./schemas/event-types";
import { OPERATIONAL_EVENT_TYPES } from "./schemas/operational";

/**
 * The event-type catalogue in the OpenAPI document: one entry of `webhooks` per catalogued type,
 * its body described by the type's schema (kept in `components.schemas`), with its example,
 * description and `deprecated` flag, and the Standard Webhooks headers every delivery carries.
 */

/** A served OpenAPI 3.1 document, as far as this module reads and writes it. */
interface OpenApiDocument {
  webhooks?: Record<string, { post?: { parameters?: unknown[] } }>;
  components?: { schemas?: Record<string, unknown> };
}

/** The built-in webhook whose headers every catalogued type's deliveries carry (the default scheme). */
const STANDARD_DELIVERY = "delivery-standard";

/** `name` turned into what OpenAPI allows in component names and URL-safe operation ids, unique among `taken`. */
function uniqueToken(name: string, taken: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9._-]/g, "-");
  let token = base;
  for (let n = 2; taken.has(token); n++) token = `${base}-${n}`;
  taken.add(token);
  return token;
}

/** The JSON pointer (RFC 6901) of every object inside `value`, by identity; `""` is `value` itself. */
function pointersOf(value: unknown, pointer = "", into = new Map<unknown, string>()): Map<unknown, string> {
  if (!value || typeof value !== "object") return into;
  into.set(value, pointer);
  for (const [key, item] of Object.entries(value)) pointersOf(item, `${pointer}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`, into);
  return into;
}

/**
 * A copy of `schema` whose references point where their targets now sit in the document, under
 * `#/components/schemas/{component}` (in the document, `#` is the document's root). References by
 * `$id` or `$anchor` become such pointers too, and the `$id`s and `$anchor`s are left out: OpenAPI
 * tools resolve a `$ref` against the document, so `https://…/money` or `money` would send them
 * fetching a URL or a file.
 */
function relocated(schema: unknown, component: string): unknown {
  const copy = structuredClone(schema);
  if (!copy || typeof copy !== "object") return copy;
  // The validator's own resolution: the catalogue accepted only schemas whose references it resolves.
  const lookup = dereference(copy as Schema);
  const pointers = pointersOf(copy);
  const pointerTo = (ref: string, at: Record<string, unknown>): string | undefined => {
    const target = pointers.get(lookup[at.__absolute_ref__ as string]);
    if (target !== undefined) return target;
    return ref === "#" || ref.startsWith("#/") ? ref.slice(1) : undefined;
  };
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (!value || typeof value !== "object") return value;
    const record = value as Record<string, unknown>;
    const isSchema = record.__absolute_uri__ !== undefined;
    return Object.fromEntries(
      Object.entries(record).flatMap(([key, item]): Array<[string, unknown]> => {
        if (isSchema && (key === "$id" || key === "$anchor")) return [];
        if (isSchema && key === "$ref" && typeof item === "string") {
          const pointer = pointerTo(item, record);
          return [[key, pointer === undefined ? item : `#/components/schemas/${component}${pointer}`]];
        }
        return [[key, rewrite(item)]];
      }),
    );
  };
  return rewrite(copy);
}

/** A boolean schema as its object equivalent: OpenAPI tools expect a schema component to be an object. */
function asObjectSchema(schema: unknown): unknown {
  if (schema === true) return {};
  if (schema === false) return { not: {} };
  return schema;
}

/** The `webhooks` entry of one catalogued type, its schema named `component` (registered by the caller). */
function webhookOf(type: EventTypeRecord, operationId: string, component: string | null, parameters: unknown[]) {
  const media: Record<string, unknown> = { schema: component ? { $ref: `#/components/schemas/${component}` } : {} };
  if (type.example !== null) media.example = type.example;
  return {
    post: {
      operationId,
      tags: ["Event types"],
      summary: `\`${type.name}\`${type.description ? `: ${type.description}` : ""}`,
      description:
        (type.enforce && type.schema !== null
          ? "Enqueue refuses payloads of this type that do not match the schema (`enforce`), so messages enqueued since then match it."
          : "The schema documents this type's payloads; enqueue does not check them (`enforce` is off).") +
        " Signed and sent like every delivery: the headers are those of the endpoint's signature scheme (`delivery-standard` shows the default)." +
        ((OPERATIONAL_EVENT_TYPES as readonly string[]).includes(type.name)
          ? ` Operational events of this name (the relay's own, \`source\` \`_edgehook\`) are never checked: the \`${type.name}\` entry describes them.`
          : ""),
      ...(type.deprecated ? { deprecated: true } : {}),
      parameters,
      requestBody: { required: true, content: { "application/json": media } },
      security: [],
      responses: {
        200: { description: "Any 2xx is success; the delivery is done" },
        default: { description: "Anything else is a failed attempt, retried on the endpoint's schedule" },
      },
    },
  };
}

/**
 * Adds catalogued `types` (the catalogue as src/ops/event-types.ts wholeCatalogue shows it) to
 * `document`'s `webhooks` and `components.schemas`, in place. A type named like a built-in webhook
 * entry gets an `event-type:` prefix rather than replacing it.
 */
export function addCatalogueWebhooks(document: OpenApiDocument, types: EventTypeRecord[]): void {
  const webhooks = (document.webhooks ??= {});
  const schemas = ((document.components ??= {}).schemas ??= {});
  const parameters = webhooks[STANDARD_DELIVERY]?.post?.parameters ?? [];
  const componentNames = new Set(Object.keys(schemas));
  const operationIds = new Set<string>();
  for (const type of types) {
    const token = uniqueToken(type.name, operationIds);
    let component: string | null = null;
    if (type.schema !== null) {
      component = uniqueToken(`EventType.${type.name}`, componentNames);
      schemas[component] = relocated(asObjectSchema(type.schema), component);
    }
    const key = webhooks[type.name] ? `event-type:${type.name}` : type.name;
    webhooks[key] = webhookOf(type, `receive.${token}`, component, parameters);
  }
}
