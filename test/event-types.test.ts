import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { apiJson, bucket, newTenant } from "./support/api";

/** An event-type name no other test uses (the catalogue is shared by the whole relay). */
const uniqueName = (suffix = "paid") => `inv${bucket()}.${suffix}`;

const invoiceSchema = {
  type: "object",
  required: ["invoice_id", "amount"],
  properties: { invoice_id: { type: "string" }, amount: { type: "number" } },
};

async function createType(body: Record<string, unknown>) {
  const res = await apiJson("POST", "/v1/event-types", { body });
  if (res.status !== 201) throw new Error(`event type: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

describe("the event-type catalogue", () => {
  it("an admin adds an event type and gets it back with its defaults and times", async () => {
    const name = uniqueName();
    const res = await apiJson("POST", "/v1/event-types", { body: { name, description: "An invoice was paid" } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      name,
      description: "An invoice was paid",
      schema: null,
      example: null,
      enforce: false,
      deprecated: false,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updated_at: res.body.created_at,
    });
  });

  it("an event type keeps its schema, example, enforce and deprecated flags as sent", async () => {
    const name = uniqueName();
    const example = { invoice_id: "inv_1", amount: 42.5 };
    await createType({ name, description: "Paid", schema: invoiceSchema, example, enforce: true, deprecated: true });
    const res = await apiJson("GET", `/v1/event-types/${name}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name, schema: invoiceSchema, example, enforce: true, deprecated: true });
  });

  it("is stored in the control database", async () => {
    const name = uniqueName();
    await createType({ name, description: "Paid", schema: invoiceSchema });
    const row = await env.DB.prepare("SELECT description, schema, enforce FROM event_types WHERE name = ?").bind(name).first();
    expect(row).toEqual({ description: "Paid", schema: JSON.stringify(invoiceSchema), enforce: 0 });
  });

  it("a name that is taken is a 409", async () => {
    const name = uniqueName();
    await createType({ name, description: "first" });
    const res = await apiJson("POST", "/v1/event-types", { body: { name, description: "second" } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("event_type_exists");
  });

  it("a name breaking the event-type rules is a 400 naming the field", async () => {
    const res = await apiJson("POST", "/v1/event-types", { body: { name: ".starts-with-dot", description: "x" } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([expect.objectContaining({ path: "name" })]);
  });

  it("a type that is not in the catalogue is a 404", async () => {
    const res = await apiJson("GET", `/v1/event-types/${uniqueName()}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });

  it("lists the catalogue in name order, page by page", async () => {
    const prefix = `list${bucket()}`;
    for (const suffix of ["c", "a", "b"]) await createType({ name: `${prefix}.${suffix}`, description: suffix });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: Array<{ name: string }>; next_cursor: string | null } } = await apiJson(
        "GET",
        `/v1/event-types?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((t) => t.name));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen.filter((n) => n.startsWith(prefix))).toEqual([`${prefix}.a`, `${prefix}.b`, `${prefix}.c`]);
    expect(seen).toEqual([...seen].sort());
  });

  it("a cursor the API did not return is a 400 invalid_cursor", async () => {
    const res = await apiJson("GET", "/v1/event-types?cursor=bm90LWEtY3Vyc29y");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_cursor");
  });

  it("PATCH changes only the fields sent and moves updated_at", async () => {
    const name = uniqueName();
    const created = await createType({ name, description: "before", schema: invoiceSchema });
    const res = await apiJson("PATCH", `/v1/event-types/${name}`, { body: { description: "after", enforce: true } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name, description: "after", schema: invoiceSchema, enforce: true, deprecated: false, created_at: created.created_at });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
  });

  it("PATCH with schema null and example null removes them", async () => {
    const name = uniqueName();
    await createType({ name, description: "x", schema: invoiceSchema, example: { invoice_id: "a", amount: 1 } });
    const res = await apiJson("PATCH", `/v1/event-types/${name}`, { body: { schema: null, example: null } });
    expect(res.body).toMatchObject({ schema: null, example: null });
  });

  it("PATCH of a type that is not in the catalogue is a 404", async () => {
    const res = await apiJson("PATCH", `/v1/event-types/${uniqueName()}`, { body: { description: "x" } });
    expect(res.status).toBe(404);
  });

  it("DELETE removes a type: 204, then 404", async () => {
    const name = uniqueName();
    await createType({ name, description: "x" });
    expect((await apiJson("DELETE", `/v1/event-types/${name}`)).status).toBe(204);
    expect((await apiJson("GET", `/v1/event-types/${name}`)).status).toBe(404);
    expect((await apiJson("DELETE", `/v1/event-types/${name}`)).status).toBe(404);
  });
});

describe("event-type schemas and examples", () => {
  it("a schema that is not a valid JSON Schema is a 400 invalid_schema naming where it breaks", async () => {
    const res = await apiJson("POST", "/v1/event-types", {
      body: { name: uniqueName(), description: "x", schema: { type: "object", properties: { amount: { type: "money" } } } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_schema");
    expect(res.body.error.issues).toContainEqual(expect.objectContaining({ path: "schema.properties.amount.type" }));
  });

  it("a schema whose keyword has the wrong kind of value is a 400 invalid_schema", async () => {
    const res = await apiJson("POST", "/v1/event-types", { body: { name: uniqueName(), description: "x", schema: { required: "amount" } } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_schema", issues: [expect.objectContaining({ path: "schema.required" })] });
  });

  it("a schema with a pattern that is not a regular expression is a 400 invalid_schema", async () => {
    const res = await apiJson("POST", "/v1/event-types", { body: { name: uniqueName(), description: "x", schema: { type: "string", pattern: "([a-z" } } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_schema", issues: [expect.objectContaining({ path: "schema.pattern" })] });
  });

  it("a schema whose $ref points outside it is a 400 invalid_schema: remote schemas are never fetched", async () => {
    const res = await apiJson("POST", "/v1/event-types", {
      body: { name: uniqueName(), description: "x", schema: { $ref: "https://example.com/invoice.json" } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_schema");
    expect(res.body.error.issues[0].message).toContain("https://example.com/invoice.json");
  });

  it("a schema naming another draft in $schema is a 400 invalid_schema", async () => {
    const res = await apiJson("POST", "/v1/event-types", {
      body: { name: uniqueName(), description: "x", schema: { $schema: "http://json-schema.org/draft-07/schema#", type: "object" } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_schema", issues: [expect.objectContaining({ path: "schema.$schema" })] });
  });

  it("a schema with a lone UTF-16 surrogate is a 400 invalid_schema", async () => {
    const res = await apiJson("POST", "/v1/event-types", {
      rawBody: `{"name":"${uniqueName()}","description":"x","schema":{"properties":{"\\ud800":{"type":"string"}}}}`,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_schema", issues: [{ path: "schema", message: expect.stringContaining("lone UTF-16 surrogate") }] });
  });

  it("a schema whose $refs lead back to where they started without descending into the payload is a 400 invalid_schema", async () => {
    const loops = [
      { $ref: "#" },
      { $defs: { a: { $ref: "#/$defs/b" }, b: { allOf: [{ $ref: "#/$defs/a" }] } }, $ref: "#/$defs/a" },
      { type: "object", properties: { note: { if: { type: "string" }, then: { $ref: "#/properties/note" } } } },
    ];
    for (const schema of loops) {
      const res = await apiJson("POST", "/v1/event-types", { body: { name: uniqueName(), description: "x", schema, enforce: true } });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_schema", issues: [{ path: "schema", message: expect.stringContaining("loops") }] });
    }
  });

  it("a schema whose chain of $refs applying to one value runs through more than 128 schemas is a 400 invalid_schema, not a 500", async () => {
    const $defs: Record<string, unknown> = { a5000: { type: "number" } };
    for (let i = 0; i < 5000; i++) $defs[`a${i}`] = { $ref: `#/$defs/a${i + 1}` };
    const res = await apiJson("POST", "/v1/event-types", { body: { name: uniqueName(), description: "x", schema: { $defs, $ref: "#/$defs/a0" }, example: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_schema", issues: [{ path: "schema", message: expect.stringContaining("128") }] });
  });

  it("a pattern with a backreference or lookaround is a 400 invalid_schema naming its path, on create and on PATCH", async () => {
    const schema = { type: "object", properties: { u: { type: "string", pattern: "^(a)\\1$" } } };
    const created = await apiJson("POST", "/v1/event-types", { body: { name: uniqueName(), description: "x", schema } });
    expect(created.status).toBe(400);
    expect(created.body.error).toMatchObject({ code: "invalid_schema", issues: [{ path: "schema.properties.u.pattern", message: expect.stringContaining("backreference") }] });
    const name = uniqueName();
    await createType({ name, description: "x" });
    const patched = await apiJson("PATCH", `/v1/event-types/${name}`, { body: { schema: { patternProperties: { "(?<=a)b": true } } } });
    expect(patched.status).toBe(400);
    expect(patched.body.error).toMatchObject({ code: "invalid_schema", issues: [{ path: "schema.patternProperties.(?<=a)b", message: expect.stringContaining("lookbehind") }] });
  });

  it("a schema whose $refs fan out exponentially (21 levels of allOf pairs) is a 400 invalid_schema naming where", async () => {
    const $defs: Record<string, unknown> = { l21: { type: "string" } };
    for (let n = 0; n < 21; n++) $defs[`l${n}`] = { allOf: [{ $ref: `#/$defs/l${n + 1}` }, { $ref: `#/$defs/l${n + 1}` }] };
    const res = await apiJson("POST", "/v1/event-types", { body: { name: uniqueName(), description: "x", schema: { $defs, $ref: "#/$defs/l0" }, enforce: true } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_schema", issues: [{ path: expect.stringMatching(/^schema\.\$defs\.l\d+$/), message: expect.stringContaining("exponential") }] });
  });

  it("a recursive schema that descends into the payload at each step (a tree) is accepted", async () => {
    const schema = { type: "object", required: ["name"], properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#" } } } };
    const res = await apiJson("POST", "/v1/event-types", {
      body: { name: uniqueName(), description: "x", schema, example: { name: "a", children: [{ name: "b", children: [{ name: "c" }] }] } },
    });
    expect(res.status).toBe(201);
  });

  it("a schema nesting deeper than 128 levels is a 400 naming schema, not a 500", async () => {
    let schema: unknown = {};
    for (let i = 0; i < 1000; i++) schema = { not: { not: schema } };
    const res = await apiJson("POST", "/v1/event-types", { body: { name: uniqueName(), description: "x", schema } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", issues: [expect.objectContaining({ path: "schema", message: expect.stringContaining("128 levels") })] });
  });

  it("an example nesting deeper than a payload may (32 levels) is a 400 naming example, not a 500", async () => {
    let example: unknown = 1;
    for (let i = 0; i < 1000; i++) example = [example];
    const res = await apiJson("POST", "/v1/event-types", { body: { name: uniqueName(), description: "x", schema: { items: { $ref: "#" } }, example } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", issues: [expect.objectContaining({ path: "example", message: expect.stringContaining("32 levels") })] });
  });

  it("a PATCH with an example nesting deeper than 32 levels is a 400 naming example", async () => {
    const name = uniqueName();
    await createType({ name, description: "x" });
    let example: unknown = 1;
    for (let i = 0; i < 40; i++) example = [example];
    const res = await apiJson("PATCH", `/v1/event-types/${name}`, { body: { example } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", issues: [expect.objectContaining({ path: "example" })] });
  });

  it("a schema with local $refs into $defs is accepted", async () => {
    const schema = { $defs: { money: { type: "number", minimum: 0 } }, type: "object", properties: { amount: { $ref: "#/$defs/money" } } };
    const res = await apiJson("POST", "/v1/event-types", { body: { name: uniqueName(), description: "x", schema, example: { amount: 3 } } });
    expect(res.status).toBe(201);
  });

  it("an example that does not match the schema is a 400 example_mismatch naming the example's paths", async () => {
    const res = await apiJson("POST", "/v1/event-types", {
      body: { name: uniqueName(), description: "x", schema: invoiceSchema, example: { invoice_id: 7 } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("example_mismatch");
    expect(res.body.error.issues).toEqual(
      expect.arrayContaining([
        { path: "example", message: 'Instance does not have required property "amount".' },
        { path: "example.invoice_id", message: 'Instance type "number" is invalid. Expected "string".' },
      ]),
    );
  });

  it("a PATCH of the schema is refused when the stored example does not match the new schema", async () => {
    const name = uniqueName();
    await createType({ name, description: "x", schema: invoiceSchema, example: { invoice_id: "a", amount: 1 } });
    const res = await apiJson("PATCH", `/v1/event-types/${name}`, { body: { schema: { ...invoiceSchema, required: ["invoice_id", "amount", "currency"] } } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "example_mismatch", issues: [{ path: "example", message: expect.stringContaining("currency") }] });
    expect((await apiJson("GET", `/v1/event-types/${name}`)).body.schema).toEqual(invoiceSchema);
  });

  it("an example without a schema is kept as documentation", async () => {
    const name = uniqueName();
    const created = await createType({ name, description: "x", example: { anything: [1, 2] } });
    expect(created.example).toEqual({ anything: [1, 2] });
  });
});

describe("who may use the catalogue", () => {
  it("a tenant key may list and read event types", async () => {
    const { key } = await newTenant();
    const name = uniqueName();
    await createType({ name, description: "x" });
    expect((await apiJson("GET", `/v1/event-types/${name}`, { token: key })).status).toBe(200);
    expect((await apiJson("GET", "/v1/event-types", { token: key })).status).toBe(200);
  });

  it("a tenant key may not create, change or delete event types: 403", async () => {
    const { key } = await newTenant();
    const name = uniqueName();
    await createType({ name, description: "x" });
    const create = await apiJson("POST", "/v1/event-types", { token: key, body: { name: uniqueName(), description: "x" } });
    const patch = await apiJson("PATCH", `/v1/event-types/${name}`, { token: key, body: { enforce: true } });
    const del = await apiJson("DELETE", `/v1/event-types/${name}`, { token: key });
    expect([create.status, patch.status, del.status]).toEqual([403, 403, 403]);
    expect(create.body.error.code).toBe("forbidden");
    expect((await apiJson("GET", `/v1/event-types/${name}`)).body).toMatchObject({ enforce: false });
  });

  it("without a token the catalogue is a 401", async () => {
    expect((await apiJson("GET", "/v1/event-types", { token: null })).status).toBe(401);
  });
});
