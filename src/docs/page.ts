import type { Context } from "hono";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/**
 * The API reference page at `/docs`, rendered on the server from the OpenAPI document the relay
 * serves at `/openapi.json`: every operation with its parameters, request body and responses, the
 * schemas they name, and the webhooks a receiver gets. Nothing is loaded from elsewhere (no script
 * at all, one stylesheet inline under a per-response nonce), so the page works offline and shares
 * its origin with the dashboard's session cookie safely.
 */

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  deprecated?: boolean;
  parameters?: Parameter[];
  requestBody?: { description?: string; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}
/** The parts of an OpenAPI 3.1 document the page shows. */
export interface ReferenceDocument {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  webhooks?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ["get", "post", "put", "patch", "delete"];

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; color: #1f2328; margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.25rem 4rem; }
nav { columns: 2 18rem; font-size: 14px; }
nav a { display: block; }
code, pre { font: 13px/1.45 ui-monospace, monospace; }
pre { background: #f6f8fa; padding: .6rem .8rem; overflow-x: auto; border-radius: 6px; }
section.op { border-top: 1px solid #d0d7de; padding-top: .5rem; margin-top: 1.5rem; }
.method { display: inline-block; min-width: 4.2rem; font-weight: 700; text-transform: uppercase; }
.deprecated { color: #9a6700; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: .25rem .5rem; border-bottom: 1px solid #eaeef2; }
a { color: #0969da; }
`;

/** What the page may load: its own inline stylesheet (by nonce) and nothing else. */
export function docsCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The anchor of a component schema on the page. */
const schemaAnchor = (name: string) => `schema-${name}`;

/** A schema's type in a few words, its `$ref` as a link to the schema's section. */
function typeOf(schema: Schema | undefined): HtmlEscapedString | Promise<HtmlEscapedString> | string {
  if (!schema) return "";
  const ref = typeof schema.$ref === "string" ? schema.$ref : undefined;
  if (ref?.startsWith("#/components/schemas/")) {
    const name = ref.slice("#/components/schemas/".length);
    return html`<a href="#${schemaAnchor(name)}"><code>${name}</code></a>`;
  }
  if (schema.type === "array") return html`array of ${typeOf(schema.items as Schema | undefined)}`;
  if (Array.isArray(schema.enum)) return html`<code>${schema.enum.map((v) => JSON.stringify(v)).join(" | ")}</code>`;
  for (const key of ["oneOf", "anyOf"]) {
    const options = schema[key];
    if (Array.isArray(options)) return html`${options.map((option, i) => html`${i > 0 ? " or " : ""}${typeOf(option as Schema)}`)}`;
  }
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : typeof schema.type === "string" ? schema.type : "any";
  return html`<code>${type}${typeof schema.format === "string" ? ` (${schema.format})` : ""}</code>`;
}

/** The schema of a body: its JSON media type's, or the first one's. */
function bodySchema(content: Record<string, { schema?: Schema }> | undefined): Schema | undefined {
  if (!content) return undefined;
  return (content["application/json"] ?? Object.values(content)[0])?.schema;
}

function parametersTable(parameters: Parameter[]) {
  if (parameters.length === 0) return "";
  return html`<h4>Parameters</h4>
    <table>
      <tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>
      ${parameters.map(
        (p) => html`<tr><td><code>${p.name}</code>${p.required ? " (required)" : ""}</td><td>${p.in}</td><td>${typeOf(p.schema)}</td><td>${p.description ?? ""}</td></tr>`,
      )}
    </table>`;
}

function operationSection(method: string, path: string, op: Operation) {
  const id = op.operationId ?? `${method}-${path}`;
  const request = bodySchema(op.requestBody?.content);
  return html`<section class="op" id="${id}">
    <h3><span class="method">${method}</span> <code>${path}</code></h3>
    ${op.summary ? html`<p><strong>${op.summary}</strong>${op.deprecated ? html` <span class="deprecated">(deprecated)</span>` : ""}</p>` : ""}
    ${op.description ? html`<p>${op.description}</p>` : ""}
    ${op.operationId ? html`<p>operationId <code>${op.operationId}</code></p>` : ""}
    ${parametersTable(op.parameters ?? [])}
    ${request ? html`<h4>Request body</h4><p>${typeOf(request)}${op.requestBody?.description ? ` — ${op.requestBody.description}` : ""}</p>` : ""}
    <h4>Responses</h4>
    <table>
      <tr><th>status</th><th>body</th><th>description</th></tr>
      ${Object.entries(op.responses ?? {}).map(
        ([status, response]) => html`<tr><td>${status}</td><td>${typeOf(bodySchema(response.content))}</td><td>${response.description ?? ""}</td></tr>`,
      )}
    </table>
  </section>`;
}

/** The operations of a `paths` or `webhooks` object, in document order. */
function operationsOf(paths: Record<string, Record<string, Operation>> | undefined): Array<[method: string, path: string, op: Operation]> {
  return Object.entries(paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => [method, path, item[method]!] as [string, string, Operation]),
  );
}

/** The reference page's HTML for `document`, its one stylesheet carrying `nonce`. */
export function renderReference(document: ReferenceDocument, nonce: string): Promise<HtmlEscapedString> | HtmlEscapedString {
  const operations = operationsOf(document.paths);
  const webhooks = operationsOf(document.webhooks);
  const schemas = Object.entries(document.components?.schemas ?? {});
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${document.info.title} API reference</title>
<style nonce="${nonce}">${raw(STYLE)}</style>
</head>
<body>
<main>
  <h1>${document.info.title} API reference <small>${document.info.version}</small></h1>
  ${document.info.description ? html`<p>${document.info.description}</p>` : ""}
  <p>The machine-readable OpenAPI 3.1 document: <a href="/openapi.json">/openapi.json</a>.</p>
  <h2 id="operations">Operations</h2>
  <nav>${operations.map(([method, path, op]) => html`<a href="#${op.operationId ?? `${method}-${path}`}">${method.toUpperCase()} ${path}</a>`)}</nav>
  ${operations.map(([method, path, op]) => operationSection(method, path, op))}
  <h2 id="webhooks">Webhooks a receiver gets</h2>
  ${webhooks.map(([method, name, op]) => operationSection(method, name, op))}
  <h2 id="schemas">Schemas</h2>
  ${schemas.map(([name, schema]) => html`<section id="${schemaAnchor(name)}"><h3><code>${name}</code></h3><pre>${JSON.stringify(schema, null, 2)}</pre></section>`)}
</main>
</body>
</html>
`;
}

/** `GET /docs`: the reference for `document` with its CSP. */
export async function docsPage(c: Context, document: ReferenceDocument): Promise<Response> {
  const nonce = crypto.randomUUID().replace(/-/g, "");
  return c.html(await renderReference(document, nonce), 200, {
    "content-security-policy": docsCsp(nonce),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
}
