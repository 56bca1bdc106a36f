import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../scripts/openapi-document";
import { listEventTypes } from "../../src/db/event-types";
import { addCatalogueWebhooks } from "../../src/openapi-catalogue";
import { ROOT, run } from "./support/processes";

const REDOCLY = path.join(ROOT, "node_modules/@redocly/cli/bin/cli.js");

/** What @redocly/cli's recommended rules find in `document` (each as "rule at pointer: message"), and its exit code. */
async function lint(document: object): Promise<{ problems: string[]; code: number | null }> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "edgehook-openapi-")), "openapi.json");
  writeFileSync(file, JSON.stringify(document));
  // Telemetry and the update check would reach the internet; tests never do.
  const result = await run(REDOCLY, ["lint", file, "--extends", "recommended", "--format", "json"], {
    REDOCLY_TELEMETRY: "off",
    REDOCLY_SUPPRESS_UPDATE_NOTICE: "true",
  });
  const problems = (JSON.parse(result.stdout) as { problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }> }).problems;
  return { problems: problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`), code: result.code };
}

/** A control database holding these catalogue rows, as far as listing the catalogue reads one. */
function catalogueDb(rows: Array<Record<string, unknown>>): D1Database {
  const statement = { bind: () => statement, all: async () => ({ results: rows }) };
  return { prepare: () => statement } as unknown as D1Database;
}

const row = (name: string, fields: Record<string, unknown>) => ({
  name, description: "", schema: null, example: null, enforce: 0, deprecated: 0, created_at: 0, updated_at: 0, ...fields,
});

describe("the served OpenAPI document", () => {
  it("lints clean with @redocly/cli's recommended rules: no error and no warning", async () => {
    const { problems, code } = await lint(await openApiDocument());
    expect(problems).toEqual([]);
    expect(code).toBe(0);
  }, 120_000);

  it("lints clean with catalogued event types in its webhooks: schemas with local $refs, examples, deprecated types, odd names, names of operational events, references by $id and $anchor", async () => {
    const document = await openApiDocument();
    const { data: types } = await listEventTypes(
      catalogueDb([
        row("invoice.paid", {
          description: "An invoice was paid",
          schema: JSON.stringify({ $defs: { money: { type: "number" } }, type: "object", required: ["amount"], properties: { amount: { $ref: "#/$defs/money" } } }),
          example: JSON.stringify({ amount: 4.5 }),
          enforce: 1,
        }),
        row("invoice:legacy", { deprecated: 1, schema: "true" }),
        row("invoice-legacy", { description: "no schema" }),
        row("invoice.never", { schema: JSON.stringify({ type: "object", properties: { a: false, b: true } }) }),
        row("delivery-standard", { description: "named like a built-in entry" }),
        row("endpoint.failing", { description: "named like an operational event", schema: JSON.stringify({ type: "object" }), example: JSON.stringify({}) }),
        row("event-type:endpoint.failing", { description: "named like the prefixed entry of the one above" }),
        row("with.ids", { schema: JSON.stringify({ $id: "https://schemas.example/invoice", $defs: { money: { $id: "https://schemas.example/money", type: "number" }, cur: { $anchor: "cur", type: "string" } }, type: "object", properties: { amount: { $ref: "https://schemas.example/money" }, currency: { $ref: "#cur" }, rel: { $ref: "money" } } }) }),
      ]),
      { limit: 500 },
    );
    addCatalogueWebhooks(document as Parameters<typeof addCatalogueWebhooks>[0], types);
    const { problems, code } = await lint(document);
    expect(problems).toEqual([]);
    expect(code).toBe(0);
  }, 120_000);
});
