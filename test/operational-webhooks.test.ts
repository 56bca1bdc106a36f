import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { sweep } from "../src/delivery/sweeper";
import { shardDb } from "../src/shards";
import { verifyWebhook } from "../src/verify/index.ts";
import { apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl, release, requestsArrived } from "./support/api";
import { countingRoundTrips } from "./support/round-trips";
import { shardIndexOf, shardOf } from "./support/shards";
import { consume, enqueueHeld } from "./support/worker";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Operational endpoints a test created, deleted after it so later tests' events do not reach them. */
const created: string[] = [];

afterEach(async () => {
  for (const id of created.splice(0)) await apiJson("DELETE", `/v1/operational-endpoints/${id}`);
});

/** Creates an operational endpoint with the admin token; returns the 201 body (with its secret). */
async function operationalEndpoint(body: Record<string, unknown>) {
  const res = await apiJson("POST", "/v1/operational-endpoints", { body });
  if (res.status !== 201) throw new Error(`operational endpoint: ${res.status} ${JSON.stringify(res.body)}`);
  created.push(res.body.id);
  return res.body;
}

/** The operational events a receiver bucket got about one tenant, parsed, in arrival order. */
async function eventsAbout(name: string, tenantId: string): Promise<any[]> {
  return (await received(name)).map((r) => JSON.parse(r.body)).filter((e) => e.tenant_id === tenantId);
}

/** Waits until the bucket holds `count` events about the tenant, then a moment more (for any extra one), and returns them. */
async function settledEvents(name: string, tenantId: string, count: number): Promise<any[]> {
  await eventually(async () => (await eventsAbout(name, tenantId)).length >= count);
  await sleep(1_000);
  return eventsAbout(name, tenantId);
}

/** Enqueues one message to the tenant's endpoints through the API; returns the 202 body. */
async function enqueue(tenantId: string, body: Record<string, unknown> = { event: "document.predicted", payload: { n: 1 } }) {
  const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body });
  expect(res.status).toBe(202);
  return res.body as { id: string; deliveries: Array<{ id: string; endpoint_id: string | null }> };
}

/** Waits until a tenant's delivery reaches `status`. */
async function deliveryReaches(tenantId: string, deliveryId: string, status: string) {
  return eventually(async () => {
    const res = await apiJson("GET", `/v1/tenants/${tenantId}/deliveries/${deliveryId}`);
    return res.body.status === status && res.body;
  });
}

describe("operational endpoints hear about tenants' endpoints", () => {
  it("an endpoint's first failed attempt sends one endpoint.failing, signed with the operational endpoint's secret", async () => {
    const ops = bucket();
    const operational = await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.failing"] });
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/status/500/${bucket()}`, retry: { max_attempts: 3, schedule: [0] } });
    const message = await enqueue(id);
    await deliveryReaches(id, message.deliveries[0]!.id, "failed");

    const [event, ...more] = await settledEvents(ops, id, 1);
    const request = (await received(ops)).find((r) => JSON.parse(r.body).tenant_id === id)!;

    expect(more).toEqual([]);
    expect(event).toEqual({
      type: "endpoint.failing",
      tenant_id: id,
      endpoint_id: endpoint.id,
      occurred_at: expect.any(String),
      message_id: message.id,
      delivery_id: message.deliveries[0]!.id,
      status_code: 500,
      error: "Receiver answered 500",
    });
    await expect(verifyWebhook(request.body, request.headers, { secret: operational.secret })).resolves.toBeTruthy();
  });

  it("two consumer batches failing one endpoint at the same time report one endpoint.failing between them", async () => {
    const ops = bucket();
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.failing"] });
    const { id } = await newTenant();
    await newEndpoint(id, { url: `${receiverUrl()}/status/500/${bucket()}`, retry: { max_attempts: 1 } });
    const first = await enqueueHeld(id, { event: "document.predicted", payload: 1 });
    const second = await enqueueHeld(id, { event: "document.predicted", payload: 2 });

    await Promise.all([consume(first.tasks), consume(second.tasks)]);
    const events = await settledEvents(ops, id, 1);

    expect(events.map((e) => e.type)).toEqual(["endpoint.failing"]);
    expect([first.message.id, second.message.id]).toContain(events[0].message_id);
  });

  it("endpoint.failing comes once per failure streak: again only after a success ended the streak", async () => {
    const ops = bucket();
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.failing"] });
    const { id } = await newTenant();
    const held = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/hold/100/${held}`, retry: { max_attempts: 1 } });
    const deliveries: string[] = [];
    for (const [n, status] of [500, 500, 200, 500].entries()) {
      const message = await enqueue(id);
      deliveries.push(message.deliveries[0]!.id);
      await requestsArrived(held, n + 1);
      await release(held, status);
      await deliveryReaches(id, deliveries[n]!, status === 200 ? "succeeded" : "failed");
    }

    const events = await settledEvents(ops, id, 2);

    expect(events.map((e) => [e.type, e.delivery_id])).toEqual([
      ["endpoint.failing", deliveries[0]],
      ["endpoint.failing", deliveries[3]],
    ]);
  });

  it("a delivery that fails its last attempt sends one delivery.exhausted naming the message and the delivery", async () => {
    const ops = bucket();
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["delivery.exhausted"] });
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/status/503/${bucket()}`, retry: { max_attempts: 2, schedule: [0] } });
    const message = await enqueue(id);
    await deliveryReaches(id, message.deliveries[0]!.id, "failed");

    const events = await settledEvents(ops, id, 1);

    expect(events).toEqual([
      {
        type: "delivery.exhausted",
        tenant_id: id,
        endpoint_id: endpoint.id,
        occurred_at: expect.any(String),
        message_id: message.id,
        delivery_id: message.deliveries[0]!.id,
        status_code: 503,
        error: "Receiver answered 503",
      },
    ]);
  });

  it("a one-off webhook_url delivery that fails for good (410 Gone) sends delivery.exhausted with endpoint_id null", async () => {
    const ops = bucket();
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["delivery.exhausted"] });
    const { id } = await newTenant();
    const message = await enqueue(id, { event: "document.predicted", payload: {}, webhook_url: `${receiverUrl()}/status/410/${bucket()}` });
    await deliveryReaches(id, message.deliveries[0]!.id, "failed");

    const events = await settledEvents(ops, id, 1);

    expect(events).toMatchObject([{ type: "delivery.exhausted", endpoint_id: null, delivery_id: message.deliveries[0]!.id, status_code: 410 }]);
  });

  it("a receiver answering 410 Gone sends one endpoint.disabled with reason gone", async () => {
    const ops = bucket();
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.disabled"] });
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/status/410/${bucket()}` });
    const first = await enqueue(id);
    const second = await enqueue(id);
    await deliveryReaches(id, first.deliveries[0]!.id, "failed");
    await eventually(async () => (await apiJson("GET", `/v1/tenants/${id}/deliveries/${second.deliveries[0]!.id}`)).body.status !== "pending");

    const events = await settledEvents(ops, id, 1);

    expect(events).toEqual([
      { type: "endpoint.disabled", tenant_id: id, endpoint_id: endpoint.id, occurred_at: expect.any(String), reason: "gone", detail: "Receiver answered 410 Gone" },
    ]);
  });

  it("an endpoint the sweeper disables after failing across the window sends endpoint.disabled with reason failures", async () => {
    const ops = bucket();
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.disabled"] });
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/status/500/${bucket()}` });
    const now = Date.now();
    const window = Number(env.AUTO_DISABLE_AFTER_SECONDS) * 1000;
    await (await shardOf(id))
      .prepare("UPDATE endpoints SET failing_since = ?, last_failed_at = ? WHERE id = ?")
      .bind(now - window - 60_000, now - 1_000, endpoint.id)
      .run();

    await sweep(env, now);
    await sweep(env, now + 1_000);
    const events = await settledEvents(ops, id, 1);

    expect(events).toEqual([
      {
        type: "endpoint.disabled",
        tenant_id: id,
        endpoint_id: endpoint.id,
        occurred_at: new Date(now).toISOString(),
        reason: "failures",
        detail: expect.stringMatching(/^Disabled automatically: every delivery failed since /),
      },
    ]);
  });

  it("disabling and enabling an endpoint by hand sends endpoint.disabled (reason manual) and endpoint.enabled, once per change", async () => {
    const ops = bucket();
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.disabled", "endpoint.enabled"] });
    const { id, key } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const path = `/v1/tenants/${id}/endpoints/${endpoint.id}`;

    for (const enabled of [false, false, true, true]) {
      expect((await apiJson("PATCH", path, { token: key, body: { enabled } })).status).toBe(200);
    }
    const events = await settledEvents(ops, id, 2);

    expect(events).toEqual([
      { type: "endpoint.disabled", tenant_id: id, endpoint_id: endpoint.id, occurred_at: expect.any(String), reason: "manual", detail: "disabled by request" },
      { type: "endpoint.enabled", tenant_id: id, endpoint_id: endpoint.id, occurred_at: expect.any(String) },
    ]);
  });

  it("two requests disabling an endpoint at the same time send one endpoint.disabled", async () => {
    const ops = bucket();
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.disabled"] });
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });

    const answers = await Promise.all([1, 2, 3].map(() => apiJson("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { enabled: false } })));
    const events = await settledEvents(ops, id, 1);

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(events).toHaveLength(1);
  });

  it("an operational endpoint receives only the event types its events name", async () => {
    const ops = bucket();
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.enabled"] });
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await apiJson("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { enabled: false } });
    await apiJson("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { enabled: true } });

    const events = await settledEvents(ops, id, 1);

    expect(events.map((e) => e.type)).toEqual(["endpoint.enabled"]);
  });
});

describe("operational endpoints are shaped like tenant endpoints", () => {
  it("an ed25519 operational endpoint shows only its whpk_ public key, and its events verify with it", async () => {
    const ops = bucket();
    const operational = await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.disabled"], signature: { scheme: "ed25519" } });
    const secret = await apiJson("GET", `/v1/operational-endpoints/${operational.id}/secret`);
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });

    await apiJson("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { enabled: false } });
    await settledEvents(ops, id, 1);
    const request = (await received(ops)).find((r) => JSON.parse(r.body).tenant_id === id)!;

    expect(operational.public_key).toMatch(/^whpk_/);
    expect([operational.secret, secret.body.secret]).toEqual([operational.public_key, operational.public_key]);
    expect(request.headers["webhook-signature"]).toMatch(/^v1a,/);
    await expect(verifyWebhook(request.body, request.headers, { scheme: "ed25519", publicKey: operational.public_key })).resolves.toBeTruthy();
  });

  it("an operational endpoint can be read, listed, changed, its secret revealed, and deleted (404 afterwards)", async () => {
    const operational = await operationalEndpoint({ url: "https://example.com/ops", events: ["endpoint.*"], retry: { max_attempts: 3 } });
    const path = `/v1/operational-endpoints/${operational.id}`;

    const read = await apiJson("GET", path);
    const list = await apiJson("GET", "/v1/operational-endpoints?limit=100");
    const changed = await apiJson("PATCH", path, { body: { timeout_ms: 5_000, headers: { "x-team": "ops" } } });
    const secret = await apiJson("GET", `${path}/secret`);
    const removed = await apiJson("DELETE", path);

    expect(read.body).toMatchObject({ id: operational.id, tenant_id: "_platform", events: ["endpoint.*"], retry: { max_attempts: 3 } });
    expect(list.body.data.map((e: { id: string }) => e.id)).toContain(operational.id);
    expect(changed.body).toMatchObject({ timeout_ms: 5_000, headers: { "x-team": "ops" } });
    expect(secret.body.secret).toBe(operational.secret);
    expect(removed.status).toBe(204);
    expect((await apiJson("GET", path)).status).toBe(404);
  });

  it("the rules of tenant endpoints apply: an invalid body is a 400 naming the field", async () => {
    const res = await apiJson("POST", "/v1/operational-endpoints", { body: { url: "not a url", timeout_ms: 1 } });

    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["timeout_ms", "url"]);
  });

  it("a source filter is refused (400 naming source): operational events have none, so the endpoint would receive nothing", async () => {
    const created = await apiJson("POST", "/v1/operational-endpoints", { body: { url: "https://example.com/ops", source: "invoices" } });
    const operational = await operationalEndpoint({ url: "https://example.com/ops" });
    const changed = await apiJson("PATCH", `/v1/operational-endpoints/${operational.id}`, { body: { source: "invoices" } });

    for (const res of [created, changed]) {
      expect(res.status).toBe(400);
      expect(res.body.error.issues).toEqual([{ path: "source", message: expect.stringContaining("no source") }]);
    }
  });
});

describe("what operational events cost", () => {
  it("a batch whose deliveries succeed makes its two D1 round trips and no more, operational endpoints or not", async () => {
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${bucket()}` });
    const { id } = await newTenant();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const { tasks } = await enqueueHeld(id, { event: "document.predicted", payload: 1 });
    const shard = await shardIndexOf(id);
    const control = countingRoundTrips(env.DB);
    const data = countingRoundTrips(shardDb(env, shard));

    await consume(tasks, { env: { ...env, DB: control.db, [`SHARD_${shard}`]: data.db } as Env });

    expect([control.counter.roundTrips, data.counter.roundTrips]).toEqual([0, 2]);
  });
});

describe("operational events travel through the same pipeline", () => {
  it("each event is a message the admin can poll, with its payload and its delivery to each operational endpoint", async () => {
    const ops = bucket();
    const operational = await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.disabled"] });
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await apiJson("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { enabled: false } });
    const [request] = await eventually(async () => {
      const got = (await received(ops)).filter((r) => JSON.parse(r.body).tenant_id === id);
      return got.length > 0 && got;
    });

    const message = await apiJson("GET", `/v1/operational-messages/${request!.headers["webhook-id"]}`);

    expect(message.status).toBe(200);
    expect(message.body).toMatchObject({
      event: "endpoint.disabled",
      source: "_edgehook",
      payload: JSON.parse(request!.body),
      deliveries: [{ endpoint_id: operational.id, status: "succeeded" }],
    });
  });

  it("a delivery of an operational event can be inspected and replayed: the receiver gets it again with the same webhook-id", async () => {
    const ops = bucket();
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.disabled"] });
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await apiJson("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { enabled: false } });
    await eventually(async () => (await eventsAbout(ops, id)).length === 1);
    const webhookId = (await received(ops)).find((r) => JSON.parse(r.body).tenant_id === id)!.headers["webhook-id"];
    const message = await apiJson("GET", `/v1/operational-messages/${webhookId}`);
    const deliveryId = message.body.deliveries[0].id;

    const delivery = await apiJson("GET", `/v1/operational-deliveries/${deliveryId}`);
    const replay = await apiJson("POST", `/v1/operational-deliveries/${deliveryId}/retry`);
    const copies = await eventually(async () => {
      const got = (await received(ops)).filter((r) => r.headers["webhook-id"] === webhookId);
      return got.length === 2 && got;
    });

    expect(delivery.body).toMatchObject({ id: deliveryId, status: "succeeded", attempts: [{ status_code: 200 }] });
    expect(replay).toMatchObject({ status: 202, body: { deliveries: [{ id: deliveryId, status: "pending" }] } });
    expect(copies[1]!.body).toBe(copies[0]!.body);
  });

  it("an operational endpoint that fails causes no operational event about itself: no loop", async () => {
    const failing = bucket();
    const operational = await operationalEndpoint({ url: `${receiverUrl()}/status/500/${failing}`, retry: { max_attempts: 2, schedule: [0] } });
    const gone = await operationalEndpoint({ url: `${receiverUrl()}/status/410/${bucket()}` });
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await apiJson("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { enabled: false } });
    await requestsArrived(failing, 2);
    await sleep(1_500);

    const messages = await apiJson("GET", "/v1/operational-messages?limit=100");
    const about = messages.body.data.map((m: { id: string }) => m.id);
    const payloads = await Promise.all(about.map(async (mid: string) => (await apiJson("GET", `/v1/operational-messages/${mid}`)).body.payload));

    expect(payloads.filter((p) => p.tenant_id === "_platform")).toEqual([]);
    expect(payloads.filter((p) => [operational.id, gone.id].includes(p.endpoint_id))).toEqual([]);
    expect((await apiJson("GET", `/v1/operational-endpoints/${gone.id}`)).body).toMatchObject({ enabled: false, disabled_reason: "Receiver answered 410 Gone" });
    expect(await received(failing)).toHaveLength(2);
  });
});

describe("who may see operational webhooks", () => {
  it("a tenant API key is refused on every operational route (403)", async () => {
    const operational = await operationalEndpoint({ url: "https://example.com/ops" });
    const { key } = await newTenant();
    const id = crypto.randomUUID();
    const calls: Array<[string, string, unknown?]> = [
      ["POST", "/v1/operational-endpoints", { url: "https://example.com/mine" }],
      ["GET", "/v1/operational-endpoints"],
      ["GET", `/v1/operational-endpoints/${operational.id}`],
      ["PATCH", `/v1/operational-endpoints/${operational.id}`, { enabled: false }],
      ["DELETE", `/v1/operational-endpoints/${operational.id}`],
      ["GET", `/v1/operational-endpoints/${operational.id}/secret`],
      ["GET", "/v1/operational-messages"],
      ["GET", `/v1/operational-messages/${id}`],
      ["GET", `/v1/operational-deliveries/${id}`],
      ["POST", `/v1/operational-deliveries/${id}/retry`],
    ];

    const statuses = await Promise.all(calls.map(async ([method, path, body]) => (await apiJson(method, path, { token: key, body })).status));

    expect(statuses).toEqual(calls.map(() => 403));
    expect((await apiJson("GET", `/v1/operational-endpoints/${operational.id}`)).body).toMatchObject({ enabled: true });
  });

  it("the platform tenant cannot be listed, read, deleted or used through the tenant routes", async () => {
    await operationalEndpoint({ url: "https://example.com/ops" });

    const list = await apiJson("GET", "/v1/tenants?limit=100");
    const read = await apiJson("GET", "/v1/tenants/_platform");
    const remove = await apiJson("DELETE", "/v1/tenants/_platform");
    const endpoints = await apiJson("GET", "/v1/tenants/_platform/endpoints");
    const create = await apiJson("POST", "/v1/tenants", { body: { id: "_platform", name: "mine" } });

    expect(list.body.data.map((t: { id: string }) => t.id)).not.toContain("_platform");
    expect([read.status, remove.status, endpoints.status, create.status]).toEqual([400, 400, 400, 400]);
  });

  it("a tenant endpoint id is not an operational endpoint id (404), and an operational one is not a tenant's", async () => {
    const operational = await operationalEndpoint({ url: "https://example.com/ops" });
    const { id, key } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://example.com/hook" });

    expect((await apiJson("GET", `/v1/operational-endpoints/${endpoint.id}`)).status).toBe(404);
    expect((await apiJson("GET", `/v1/tenants/${id}/endpoints/${operational.id}`, { token: key })).status).toBe(404);
  });
});

describe("a tenant's endpoints may subscribe to operational events about the tenant's own endpoints", () => {
  it("an endpoint whose events name endpoint.failing gets it about another endpoint of its tenant, as a message of that tenant", async () => {
    const { id } = await newTenant();
    const alerts = bucket();
    const subscriber = await newEndpoint(id, { url: `${receiverUrl()}/ok/${alerts}`, events: ["endpoint.failing"] });
    const broken = await newEndpoint(id, { url: `${receiverUrl()}/status/500/${bucket()}`, events: ["document.*"], retry: { max_attempts: 1 } });
    await enqueue(id);

    const [request] = await requestsArrived(alerts, 1);
    const message = await apiJson("GET", `/v1/tenants/${id}/messages/${request!.headers["webhook-id"]}`);

    expect(JSON.parse(request!.body)).toMatchObject({ type: "endpoint.failing", tenant_id: id, endpoint_id: broken.id });
    await expect(verifyWebhook(request!.body, request!.headers, { secret: subscriber.secret })).resolves.toBeTruthy();
    expect(message.body).toMatchObject({ event: "endpoint.failing", source: "_edgehook" });
  });

  it("an endpoint that takes every event (events empty or '*') does not receive operational events unasked", async () => {
    const { id } = await newTenant();
    const everything = bucket();
    const star = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${everything}` });
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${star}`, events: ["*"] });
    const watcher = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${watcher}`, events: ["endpoint.*"] });
    const broken = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await apiJson("PATCH", `/v1/tenants/${id}/endpoints/${broken.id}`, { body: { enabled: false } });

    await requestsArrived(watcher, 1);
    await sleep(1_000);

    expect(await received(everything)).toEqual([]);
    expect(await received(star)).toEqual([]);
  });

  it("another tenant's operational events never reach a tenant's subscribed endpoints", async () => {
    const mine = await newTenant();
    const theirs = await newTenant();
    const myAlerts = bucket();
    const theirAlerts = bucket();
    await newEndpoint(mine.id, { url: `${receiverUrl()}/ok/${myAlerts}`, events: ["endpoint.disabled"] });
    await newEndpoint(theirs.id, { url: `${receiverUrl()}/ok/${theirAlerts}`, events: ["endpoint.disabled"] });
    const endpoint = await newEndpoint(theirs.id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await apiJson("PATCH", `/v1/tenants/${theirs.id}/endpoints/${endpoint.id}`, { body: { enabled: false } });

    await requestsArrived(theirAlerts, 1);
    await sleep(1_000);

    expect(await received(myAlerts)).toEqual([]);
    expect(JSON.parse((await received(theirAlerts))[0]!.body)).toMatchObject({ tenant_id: theirs.id });
  });

  it("a subscribed endpoint that exhausts the delivery of an operational event causes no delivery.exhausted about it: no loop", async () => {
    const { id } = await newTenant();
    const alerts = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/status/500/${alerts}`, events: ["delivery.exhausted"], retry: { max_attempts: 1 } });
    const broken = await newEndpoint(id, { url: `${receiverUrl()}/status/500/${bucket()}`, events: ["document.*"], retry: { max_attempts: 1 } });
    await enqueue(id);

    await requestsArrived(alerts, 1);
    await sleep(2_000);
    const exhausted = await apiJson("GET", `/v1/tenants/${id}/messages?event=delivery.exhausted`);

    expect(await received(alerts)).toHaveLength(1);
    expect(exhausted.body.data).toHaveLength(1);
    expect(JSON.parse((await received(alerts))[0]!.body)).toMatchObject({ endpoint_id: broken.id });
  });
});

describe("operational events and the event-type catalogue", () => {
  afterEach(async () => {
    await apiJson("DELETE", "/v1/event-types/endpoint.disabled");
  });

  it("a catalogued endpoint.disabled whose enforced schema the event does not match still reaches operational endpoints and subscribed tenant endpoints", async () => {
    const created = await apiJson("POST", "/v1/event-types", {
      body: { name: "endpoint.disabled", enforce: true, schema: { type: "object", required: ["customer_note"] } },
    });
    expect(created.status).toBe(201);
    const ops = bucket();
    await operationalEndpoint({ url: `${receiverUrl()}/ok/${ops}`, events: ["endpoint.disabled"] });
    const { id } = await newTenant();
    const alerts = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${alerts}`, events: ["endpoint.*"] });
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });

    await apiJson("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { enabled: false } });
    const [tenantRequest] = await requestsArrived(alerts, 1);
    const [platformEvent] = await settledEvents(ops, id, 1);

    expect(platformEvent).toMatchObject({ type: "endpoint.disabled", endpoint_id: endpoint.id, reason: "manual" });
    expect(JSON.parse(tenantRequest!.body)).toMatchObject({ type: "endpoint.disabled", endpoint_id: endpoint.id });
  });
});
