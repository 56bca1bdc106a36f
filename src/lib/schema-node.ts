import { dereference, type Schema } from "@cfworker/json-schema";
import { FORMATS } from "./formats";
import { compileLinearRegex, UnsupportedPattern, type LinearRegex } from "./linear-regex";

/*
 * Schemas read into Nodes for the bounded validator (src/lib/schema-validator.ts): every keyword
 * read once, `$ref`s resolved, patterns compiled to linear-time regexes.
 */

type SchemaObject = Record<string, unknown>;
type SchemaNode = boolean | SchemaObject;

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * A schema object with every keyword read once into fixed fields (one shape for all, so checking is
 * fast), patterns compiled, `enum` and `const` turned into canonical texts, `$ref` resolved.
 */
export class Node {
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
 * Reads `schema` (one schemaProblems accepted: its `$ref`s resolve, its patterns compile) into its
 * root Node; each subschema and each distinct pattern is read once.
 * @throws Error when a `$ref` does not resolve (schemaProblems refuses such schemas before storing them)
 */
export function readSchema(schema: unknown): Node {
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
  return nodeOf(root);
}

/** Stands in for a pattern that cannot run in linear time: it matches nothing. */
export const UNRUNNABLE: LinearRegex = { test: () => false, size: 1 };

function linearOrNothing(source: string): LinearRegex {
  try {
    return compileLinearRegex(source);
  } catch (error) {
    if (error instanceof UnsupportedPattern) return UNRUNNABLE;
    throw error;
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
