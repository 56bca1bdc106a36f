import { filterPaths, type PayloadFilter } from "./payload-filter";

/**
 * Which of a filter's paths an event type's JSON Schema does not declare, so the dashboard can say
 * so (a filter that cannot match is allowed: schemas change). A simple walk, not a validator: an
 * object schema's `properties`, an array schema's `items` (a path through an array looks into its
 * elements, as the filter does, and a number segment indexes it). A path is reported only where the
 * schema says what is there and the path is not it: a part of the schema without `properties`,
 * `items` or a `type` (`{}`, a `$ref`, `anyOf`) could hold anything, so paths into it are taken as
 * present.
 */

type SchemaNode = { readonly [key: string]: unknown };

const isNode = (value: unknown): value is SchemaNode => typeof value === "object" && value !== null && !Array.isArray(value);

const typesOf = (node: SchemaNode): string[] => (Array.isArray(node.type) ? node.type.filter((t) => typeof t === "string") : typeof node.type === "string" ? [node.type] : []);

/** Whether the dotted `segments` may lead somewhere in `node`. */
function declares(node: unknown, segments: string[]): boolean {
  if (segments.length === 0 || !isNode(node)) return true;
  const [segment, ...rest] = segments as [string, ...string[]];
  if (isNode(node.items)) {
    // Into the elements: the segment is an index (then the rest follows) or already the element's own.
    return (/^\d+$/.test(segment) && declares(node.items, rest)) || declares(node.items, segments);
  }
  if (isNode(node.properties)) return Object.hasOwn(node.properties, segment) && declares(node.properties[segment], rest);
  const types = typesOf(node);
  return types.length === 0 || types.includes("object") || types.includes("array");
}

/** The paths of `filter` that `schema` (a JSON Schema object) does not declare, in the filter's order. */
export function pathsNotInSchema(filter: PayloadFilter | null, schema: unknown): string[] {
  return filterPaths(filter).filter((path) => !declares(schema, path.split(".")));
}
