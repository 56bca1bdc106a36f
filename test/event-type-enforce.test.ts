import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { assertPayloadsMatch, CATALOGUE_CACHE_TTL_MS } from "../src/ops/event-type-checks";
import { api, apiJson, bucket, newEndpoint, newTenant } from "./support/api";
import { rowsOnShards, shardOf } from "./support/shards";
import { IDEMPOTENCY_WINDOW_MS } from "../src/limits";

/** An event-type name no other test uses (the catalogue is shared by the whole relay). */
const uniqueName = (suffix = "paid") => `enf${bucket()}.${suffix}`;

const orderSchema = {
  type: "object",
  required: ["order_id", "customer"],
  properties: {
    order_id: { type: "string" },
    total: { type: "number", minimum: 0 },
    customer: {
      type: "object",
      required: ["email"],
      properties: { email: { type: "string" }, tags: { type: "array", items: { type: "string" } } },
    },
  },
};
const goodOrder = { order_id: "o_1", total: 10, customer: { email: "a@example.com", tags: ["vip"] } };

async function catalogue(name: string, body: Record<string, unknown>) {
  const res = await apiJson("POST", "/v1/event-types", { body: { name, description: "test type", ...body } });
  if (res.status !== 201) throw new Error(`event type: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A tenant with one endpoint listening for everything; returns its id and API key. */
async function tenantWithEndpoint() {
  const tenant = await newTenant();
  await newEndpoint(tenant.id, { url: "https://example.com/hook" });
  return tenant;
}

const enqueue = (tenant: { id: string; key: string }, event: string, payload: unknown) =>
  apiJson("POST", `/v1/tenants/${tenant.id}/messages`, { token: tenant.key, body: { event, payload } });

const enqueueBatch = (tenant: { id: string; key: string }, messages: unknown[]) =>
  apiJson("POST", `/v1/tenants/${tenant.id}/messages/batch`, { token: tenant.key, body: { messages } });

describe("enqueue against an enforced schema", () => {
  it("a payload that matches is accepted: 202", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: true });
    const res = await enqueue(await tenantWithEndpoint(), name, goodOrder);
    expect(res.status).toBe(202);
  });

  it("a missing required property is a 422 naming the object it is missing from, and nothing is stored", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: true });
    const tenant = await tenantWithEndpoint();
    const res = await enqueue(tenant, name, { customer: { email: "a@example.com" } });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      error: {
        code: "payload_schema_mismatch",
        message: `The payload does not match the schema of event type "${name}"`,
        issues: [{ path: "payload", message: 'Instance does not have required property "order_id".' }],
      },
    });
    expect(await rowsOnShards("messages", tenant.id)).toBe(0);
    expect(await rowsOnShards("deliveries", tenant.id)).toBe(0);
  });

  it("a wrong type is a 422 naming the property's path", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: true });
    const res = await enqueue(await tenantWithEndpoint(), name, { ...goodOrder, total: "ten" });
    expect(res.status).toBe(422);
    expect(res.body.error.issues).toEqual([{ path: "payload.total", message: 'Instance type "string" is invalid. Expected "number".' }]);
  });

  it("mismatches deep inside the payload are named by their full path, every one of them", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: true });
    const res = await enqueue(await tenantWithEndpoint(), name, { order_id: "o", total: -1, customer: { tags: ["ok", 7] } });
    expect(res.status).toBe(422);
    expect(res.body.error.issues).toEqual(
      expect.arrayContaining([
        { path: "payload.total", message: expect.stringContaining("0") },
        { path: "payload.customer", message: 'Instance does not have required property "email".' },
        { path: "payload.customer.tags.1", message: 'Instance type "number" is invalid. Expected "string".' },
      ]),
    );
    expect(res.body.error.issues).toHaveLength(3);
  });

  it("a property the schema forbids (additionalProperties false) is named as not allowed", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: { type: "object", properties: { a: { type: "integer" } }, additionalProperties: false }, enforce: true });
    const res = await enqueue(await tenantWithEndpoint(), name, { a: 1, b: 2 });
    expect(res.status).toBe(422);
    expect(res.body.error.issues).toEqual([{ path: "payload.b", message: "is not allowed by the schema" }]);
  });

  it("a payload that is not even the right JSON type at its root is a 422 naming payload", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: true });
    const res = await enqueue(await tenantWithEndpoint(), name, [1, 2]);
    expect(res.status).toBe(422);
    expect(res.body.error.issues).toEqual([{ path: "payload", message: 'Instance type "array" is invalid. Expected "object".' }]);
  });

  it("a payload with a lone surrogate in a key is checked like any other, and kept exactly", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: { type: "object", additionalProperties: { type: "integer" } }, enforce: true });
    const tenant = await tenantWithEndpoint();
    const send = (payload: string) =>
      apiJson("POST", `/v1/tenants/${tenant.id}/messages`, { token: tenant.key, rawBody: `{"event":"${name}","payload":${payload}}` });
    const accepted = await send('{"\\ud800":1}');
    expect(accepted.status).toBe(202);
    const polled = await api("GET", `/v1/tenants/${tenant.id}/messages/${accepted.body.id}`, { token: tenant.key });
    expect(await polled.text()).toContain('"payload":{"\\ud800":1}');
    const refused = await send('{"\\ud800":"x"}');
    expect(refused.status).toBe(422);
    expect(refused.body.error.issues).toEqual([{ path: "payload.\ufffd", message: 'Instance type "string" is invalid. Expected "integer".' }]);
  });

  it("the receiver gets the payload text exactly as sent when it matches", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: { type: "object", properties: { n: { type: "integer" } } }, enforce: true });
    const tenant = await tenantWithEndpoint();
    const res = await apiJson("POST", `/v1/tenants/${tenant.id}/messages`, {
      token: tenant.key,
      rawBody: `{"event":"${name}","payload":{"n":9123456789654321123, "z":1.0}}`,
    });
    expect(res.status).toBe(202);
    const polled = await api("GET", `/v1/tenants/${tenant.id}/messages/${res.body.id}`, { token: tenant.key });
    expect(await polled.text()).toContain(`"payload":{"n":9123456789654321123, "z":1.0}`);
  });
});

describe("the README's samples", () => {
  const readmeSchema = {
    type: "object",
    required: ["invoice_id", "amount"],
    properties: {
      invoice_id: { type: "string" },
      amount: { type: "number", minimum: 0 },
      customer: { type: "object", required: ["email"], properties: { email: { type: "string", format: "email" } } },
    },
  };

  it("a single enqueue answers the README's 422, format included", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: readmeSchema, enforce: true });
    const res = await enqueue(await tenantWithEndpoint(), name, { amount: "42.50", customer: { email: "not-an-email" } });
    expect(res.body.error.issues).toEqual([
      { path: "payload", message: 'Instance does not have required property "invoice_id".' },
      { path: "payload.amount", message: 'Instance type "string" is invalid. Expected "number".' },
      { path: "payload.customer.email", message: 'String does not match format "email".' },
    ]);
  });

  it("a batch answers the README's 422", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: readmeSchema, enforce: true });
    const res = await enqueueBatch(await tenantWithEndpoint(), [
      { event: name, payload: { invoice_id: "inv_2", amount: 10 } },
      { event: name, payload: { invoice_id: 3, amount: -1 } },
    ]);
    expect(res.body.error).toEqual({
      code: "payload_schema_mismatch",
      message: `Payloads do not match the schema of event type "${name}"; nothing was stored`,
      issues: [
        { path: "messages.1.payload.invoice_id", message: 'Instance type "number" is invalid. Expected "string".' },
        { path: "messages.1.payload.amount", message: "-1 is less than 0." },
      ],
    });
  });
});

describe("kind: no payload costs more than a bounded amount of validation work", () => {
  it('a hostile value under format "url" is a prompt 422 payload_schema_mismatch', async () => {
    const name = uniqueName();
    await catalogue(name, { schema: { type: "object", properties: { u: { type: "string", format: "url" } } }, enforce: true });
    const res = await enqueue(await tenantWithEndpoint(), name, { u: `http://${"a".repeat(30)}!` });
    expect(res.status).toBe(422);
    expect(res.body.error.issues).toEqual([{ path: "payload.u", message: 'String does not match format "url".' }]);
  });

  it('a hostile value under pattern "^(a+)+$" is a prompt 422 payload_schema_mismatch', async () => {
    const name = uniqueName();
    await catalogue(name, { schema: { type: "string", pattern: "^(a+)+$" }, enforce: true });
    const res = await enqueue(await tenantWithEndpoint(), name, `${"a".repeat(28)}!`);
    expect(res.status).toBe(422);
    expect(res.body.error.issues).toEqual([{ path: "payload", message: "String does not match pattern." }]);
  });

  it("a payload that makes its schema fan out past the budget is a 422 payload_too_complex, and nothing is stored", async () => {
    const name = uniqueName();
    const branch = { type: "array", items: { $ref: "#/$defs/t" } };
    await catalogue(name, { schema: { $defs: { t: { anyOf: [branch, branch] } }, $ref: "#/$defs/t" }, enforce: true });
    const tenant = await tenantWithEndpoint();
    // Each array level tries both branches of the anyOf when the innermost item fails: 2^30 checks without a budget.
    let payload: unknown = [1];
    for (let n = 0; n < 30; n++) payload = [payload];
    const res = await enqueue(tenant, name, payload);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "payload_too_complex", issues: [{ path: "payload", message: expect.any(String) }] });
    expect(await rowsOnShards("messages", tenant.id)).toBe(0);
    expect((await enqueue(tenant, name, [[[]]])).status).toBe(202);
  });
});

describe("enqueue when nothing is enforced", () => {
  it("a type with a schema but enforce off accepts a payload that does not match", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: false });
    expect((await enqueue(await tenantWithEndpoint(), name, { nothing: "like it" })).status).toBe(202);
  });

  it("a type with enforce on but no schema accepts any payload", async () => {
    const name = uniqueName();
    await catalogue(name, { enforce: true });
    expect((await enqueue(await tenantWithEndpoint(), name, 42)).status).toBe(202);
  });

  it("a type that is not in the catalogue accepts any payload", async () => {
    expect((await enqueue(await tenantWithEndpoint(), uniqueName(), { any: "thing" })).status).toBe(202);
  });

  it("a deprecated type is still accepted", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: true, deprecated: true });
    expect((await enqueue(await tenantWithEndpoint(), name, goodOrder)).status).toBe(202);
  });
});

describe("batch enqueue against enforced schemas", () => {
  it("one mismatching message is a 422 naming its index and path, and nothing of the batch is stored", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: true });
    const tenant = await tenantWithEndpoint();
    const res = await enqueueBatch(tenant, [
      { event: name, payload: goodOrder },
      { event: "free.form", payload: { x: 1 } },
      { event: name, payload: { ...goodOrder, customer: { email: 5 } } },
    ]);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: "payload_schema_mismatch",
      issues: [{ path: "messages.2.payload.customer.email", message: 'Instance type "number" is invalid. Expected "string".' }],
    });
    expect(await rowsOnShards("messages", tenant.id)).toBe(0);
  });

  it("mismatches in several messages and types are all listed, each under its own index", async () => {
    const [orders, refunds] = [uniqueName("order"), uniqueName("refund")];
    await catalogue(orders, { schema: orderSchema, enforce: true });
    await catalogue(refunds, { schema: { type: "object", required: ["refund_id"] }, enforce: true });
    const res = await enqueueBatch(await tenantWithEndpoint(), [
      { event: refunds, payload: {} },
      { event: orders, payload: goodOrder },
      { event: orders, payload: { ...goodOrder, order_id: 1 } },
    ]);
    expect(res.status).toBe(422);
    expect(res.body.error.issues).toEqual([
      { path: "messages.0.payload", message: 'Instance does not have required property "refund_id".' },
      { path: "messages.2.payload.order_id", message: 'Instance type "number" is invalid. Expected "string".' },
    ]);
  });

  it("a batch shares one validation budget: many small payloads that each fan out are a 422 payload_too_complex naming where it ran out, and nothing is stored", async () => {
    const name = uniqueName();
    // Each level tries a branch that fails only after checking everything below, then one that matches: 2^depth checks.
    const t = { anyOf: [{ type: "array", items: { $ref: "#/$defs/t" }, contains: { const: "never" } }, { type: "array", items: { $ref: "#/$defs/t" } }] };
    await catalogue(name, { schema: { $defs: { t }, $ref: "#/$defs/t" }, enforce: true });
    const tenant = await tenantWithEndpoint();
    const payload = JSON.parse(`${"[".repeat(15)}${"]".repeat(15)}`);
    expect((await enqueue(tenant, name, payload)).status).toBe(202);
    // 34 bytes each: without a shared budget, 100 of them cost 100 budgets of CPU in one 5 KB request.
    const res = await enqueueBatch(tenant, Array.from({ length: 3 }, () => ({ event: name, payload })));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "payload_too_complex", issues: [{ path: expect.stringMatching(/^messages\.[12]\.payload$/), message: expect.any(String) }] });
    expect(await rowsOnShards("messages", tenant.id)).toBe(1);
  });

  it("a batch whose payloads all match is stored as usual", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: true });
    const tenant = await tenantWithEndpoint();
    const res = await enqueueBatch(tenant, [{ event: name, payload: goodOrder }, { event: name, payload: { ...goodOrder, order_id: "o_2" } }]);
    expect(res.status).toBe(202);
    expect(await rowsOnShards("messages", tenant.id)).toBe(2);
  });

  it("without enforce a batch of mismatching payloads is stored", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema });
    const res = await enqueueBatch(await tenantWithEndpoint(), [{ event: name, payload: 1 }]);
    expect(res.status).toBe(202);
  });
});

describe("edits take effect at once", () => {
  it("turning enforce on refuses the next mismatching enqueue, though the type was just read as unenforced", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema });
    const tenant = await tenantWithEndpoint();
    expect((await enqueue(tenant, name, {})).status).toBe(202);
    await apiJson("PATCH", `/v1/event-types/${name}`, { body: { enforce: true } });
    expect((await enqueue(tenant, name, {})).status).toBe(422);
  });

  it("a PATCH of the schema applies to the next enqueue", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: true });
    const tenant = await tenantWithEndpoint();
    expect((await enqueue(tenant, name, goodOrder)).status).toBe(202);
    await apiJson("PATCH", `/v1/event-types/${name}`, { body: { schema: { ...orderSchema, required: ["order_id", "customer", "currency"] } } });
    const res = await enqueue(tenant, name, goodOrder);
    expect(res.status).toBe(422);
    expect(res.body.error.issues).toEqual([{ path: "payload", message: 'Instance does not have required property "currency".' }]);
  });

  it("deleting the type stops the check for the next enqueue", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: true });
    const tenant = await tenantWithEndpoint();
    expect((await enqueue(tenant, name, {})).status).toBe(422);
    await apiJson("DELETE", `/v1/event-types/${name}`);
    expect((await enqueue(tenant, name, {})).status).toBe(202);
  });

  it("an edit made elsewhere (straight in D1) is seen once the cached entry is CATALOGUE_CACHE_TTL_MS old", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema });
    const now = Date.now();
    const message = [{ event: name, payload: "{}", value: {} }];
    await assertPayloadsMatch(env, message, () => "payload", now);
    await env.DB.prepare("UPDATE event_types SET enforce = 1, updated_at = updated_at + 1 WHERE name = ?").bind(name).run();
    await expect(assertPayloadsMatch(env, message, () => "payload", now + CATALOGUE_CACHE_TTL_MS - 1)).resolves.toBeUndefined();
    await expect(assertPayloadsMatch(env, message, () => "payload", now + CATALOGUE_CACHE_TTL_MS)).rejects.toMatchObject({ status: 422 });
  });
});

describe("what the check costs", () => {
  /** env with a control database that counts the statements run on it. */
  function countingControlDb() {
    const counts = { statements: 0 };
    const db = new Proxy(env.DB, {
      get(target, property) {
        if (property === "prepare") {
          return (sql: string) => {
            counts.statements++;
            return target.prepare(sql);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { env: { ...env, DB: db }, counts };
  }

  it("a batch of many event types reads the catalogue once, then not again while cached", async () => {
    const names = Array.from({ length: 30 }, (_, i) => uniqueName(`t${i}`));
    await catalogue(names[0]!, { schema: { type: "object" }, enforce: true });
    const { env: counted, counts } = countingControlDb();
    const messages = names.map((event) => ({ event, payload: "{}", value: {} }));
    const now = Date.now();
    await assertPayloadsMatch(counted, messages, (i) => `messages.${i}.payload`, now);
    expect(counts.statements).toBe(1);
    await assertPayloadsMatch(counted, messages, (i) => `messages.${i}.payload`, now + 1000);
    expect(counts.statements).toBe(1);
  });
});

describe("kind: an Idempotency-Key retry of a request stored before its type was enforced", () => {
  it("replays the first response instead of refusing the payload, while a new key is refused", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema });
    const tenant = await tenantWithEndpoint();
    const send = (key: string) =>
      apiJson("POST", `/v1/tenants/${tenant.id}/messages`, { token: tenant.key, headers: { "idempotency-key": key }, body: { event: name, payload: { total: -1 } } });
    const first = await send("order-1");
    expect(first.status).toBe(202);
    expect((await apiJson("PATCH", `/v1/event-types/${name}`, { body: { enforce: true } })).status).toBe(200);

    const retried = await send("order-1");
    const fresh = await send("order-2");

    expect(retried.status).toBe(202);
    expect(retried.body.id).toBe(first.body.id);
    expect(fresh.status).toBe(422);
  });
});

describe("kind: a retry of a request stored before its type was enforced replays on both routes", () => {
  /** A type with a schema not yet enforced, a tenant, and a batch sender; enforce is switched on by `enforce()`. */
  const setUp = async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema });
    const tenant = await tenantWithEndpoint();
    const sendBatch = (messages: unknown[], headers: Record<string, string> = {}) =>
      apiJson("POST", `/v1/tenants/${tenant.id}/messages/batch`, { token: tenant.key, headers, body: { messages } });
    const enforce = async () => expect((await apiJson("PATCH", `/v1/event-types/${name}`, { body: { enforce: true } })).status).toBe(200);
    return { name, tenant, sendBatch, enforce };
  };

  it("a batch item retried with its idempotency_key gets its first response, marked replayed, not a 422", async () => {
    const { name, sendBatch, enforce } = await setUp();
    const item = { event: name, payload: { total: -1 }, idempotency_key: "order-1" };
    const first = await sendBatch([item]);
    await enforce();

    const retried = await sendBatch([item]);

    expect(retried.status).toBe(202);
    expect(retried.body.messages).toEqual([{ ...first.body.messages[0], replayed: true }]);
  });

  it("a batch item replays a single enqueue stored before enforcement, while its new mismatching sibling is refused by its index", async () => {
    const { name, tenant, sendBatch, enforce } = await setUp();
    const single = await apiJson("POST", `/v1/tenants/${tenant.id}/messages`, {
      token: tenant.key, headers: { "idempotency-key": "order-1" }, body: { event: name, payload: { total: -1 } },
    });
    await enforce();

    const alone = await sendBatch([{ event: name, payload: { total: -1 }, idempotency_key: "order-1" }]);
    const withNew = await sendBatch([{ event: name, payload: { total: -1 }, idempotency_key: "order-1" }, { event: name, payload: { total: -2 } }]);

    expect(alone.status).toBe(202);
    expect(alone.body.messages).toEqual([{ ...single.body, replayed: true }]);
    expect(withNew.status).toBe(422);
    expect(withNew.body.error.code).toBe("payload_schema_mismatch");
    expect(withNew.body.error.issues.every((i: { path: string }) => i.path.startsWith("messages.1.payload"))).toBe(true);
  });

  it("a batch retried with its Idempotency-Key header gets the whole first response, marked Idempotent-Replayed", async () => {
    const { name, tenant, sendBatch, enforce } = await setUp();
    const items = [{ event: name, payload: { total: -1 } }, { event: "other.type", payload: 1 }];
    const first = await sendBatch(items, { "idempotency-key": "run-1" });
    await enforce();

    const retried = await sendBatch(items, { "idempotency-key": "run-1" });

    expect(retried.status).toBe(202);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.body).toEqual(first.body);
    expect(await rowsOnShards("messages", tenant.id)).toBe(2);
  });

  it("a single enqueue retried with its Idempotency-Key replays a batch item stored before enforcement", async () => {
    const { name, tenant, sendBatch, enforce } = await setUp();
    const first = await sendBatch([{ event: name, payload: { total: -1 }, idempotency_key: "order-1" }]);
    await enforce();

    const retried = await apiJson("POST", `/v1/tenants/${tenant.id}/messages`, {
      token: tenant.key, headers: { "idempotency-key": "order-1" }, body: { event: name, payload: { total: -1 } },
    });

    expect(retried.status).toBe(202);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.body).toEqual(first.body.messages[0]);
  });
});

describe("kind: an Idempotency-Key whose stored request does not make this one a retry", () => {
  const setUp = async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema });
    const tenant = await tenantWithEndpoint();
    const send = (payload: unknown, key = "order-1") =>
      apiJson("POST", `/v1/tenants/${tenant.id}/messages`, { token: tenant.key, headers: { "idempotency-key": key }, body: { event: name, payload } });
    expect((await send({ total: -1 })).status).toBe(202);
    expect((await apiJson("PATCH", `/v1/event-types/${name}`, { body: { enforce: true } })).status).toBe(200);
    return { tenant, send };
  };

  it("a different payload under the key of a request stored before enforcement is refused, not given the first response", async () => {
    const { send } = await setUp();
    const res = await send({ total: -2 });
    expect(res.status).toBe(422);
    expect(["payload_schema_mismatch", "idempotency_key_reused"]).toContain(res.body.error.code);
  });

  it("the same payload under an expired key is refused as a payload_schema_mismatch, not replayed", async () => {
    const { tenant, send } = await setUp();
    await (await shardOf(tenant.id))
      .prepare("UPDATE idempotency_keys SET created_at = created_at - ? WHERE tenant_id = ?")
      .bind(IDEMPOTENCY_WINDOW_MS + 60_000, tenant.id)
      .run();
    const res = await send({ total: -1 });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("payload_schema_mismatch");
  });

  it("a payload that does not match, sent with an Idempotency-Key for a tenant that does not exist, is a 404 or 422, never a 500", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema, enforce: true });
    const res = await apiJson("POST", `/v1/tenants/ten_doesnotexist/messages`, { headers: { "idempotency-key": "k-1" }, body: { event: name, payload: { total: -1 } } });
    expect([404, 422]).toContain(res.status);
  });
});

describe("kind: a schema read that was in flight while enforcement was turned on", () => {
  it("does not keep the type as unenforced: the next mismatching enqueue on this isolate is refused", async () => {
    const name = uniqueName();
    await catalogue(name, { schema: orderSchema });
    const tenant = await tenantWithEndpoint();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // A database whose reads answer only once released, so the edit lands while this one is in flight.
    const slowDb = {
      prepare: (sql: string) => ({
        bind: (...params: unknown[]) => ({
          all: async () => {
            const result = await env.DB.prepare(sql).bind(...params).all();
            await held;
            return result;
          },
        }),
      }),
    } as unknown as D1Database;
    const inFlight = assertPayloadsMatch({ ...env, DB: slowDb }, [{ event: name, payload: "{}", value: {} }], () => "payload", Date.now() + CATALOGUE_CACHE_TTL_MS * 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await apiJson("PATCH", `/v1/event-types/${name}`, { body: { enforce: true } })).status).toBe(200);
    release();
    await inFlight;

    expect((await enqueue(tenant, name, { total: -1 })).status).toBe(422);
  });
});
