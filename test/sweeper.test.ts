import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { api, apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { consume, cronWith, deliveryRow, enqueueHeld } from "./support/worker";
import { shardOf } from "./support/shards";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Enqueues one message to the tenant's endpoints and has the consumer attempt it at `at`; the receiver fails it. */
async function failOnce(tenantId: string, at: number) {
  const { tasks } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
  await consume(tasks, { now: at });
}

describe("sweeper", () => {
  it("a message whose queue send failed after the D1 commit is still accepted and delivered once the sweeper runs", async () => {
    const { id } = await newTenant();
    const name = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const { message, tasks } = await enqueueHeld(id, { event: "x", payload: { survived: true } }, { failQueue: true });
    expect(tasks).toEqual([]);
    expect(await deliveryRow(message.deliveries[0]!.id)).toMatchObject({ status: "pending" });

    await cronWith({}, Date.now() + 6 * MINUTE);
    const [request] = await eventually(async () => (await received(name)).length === 1 && received(name));
    expect(request!.body).toBe('{"survived":true}');
    await eventually(async () => (await deliveryRow(message.deliveries[0]!.id))?.status === "succeeded");
  });

  it("leaves a recently enqueued delivery to the queue", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const { message } = await enqueueHeld(id, { event: "x", payload: 1 });
    const before = await deliveryRow(message.deliveries[0]!.id);
    await cronWith({}, Date.now() + MINUTE);
    expect((await deliveryRow(message.deliveries[0]!.id))!.queue_token).toBe(before!.queue_token);
  });

  it("a re-armed delivery ignores the lost queue message if it turns up after all", async () => {
    const { id } = await newTenant();
    const name = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const { message, tasks } = await enqueueHeld(id, { event: "x", payload: 1 });
    await cronWith({}, Date.now() + 6 * MINUTE);
    await eventually(async () => (await received(name)).length === 1);
    await consume(tasks);
    expect(await received(name)).toHaveLength(1);
    expect((await deliveryRow(message.deliveries[0]!.id))!.attempts).toBe(1);
  });

  it("disables an endpoint whose failures continued across the whole five-day window, saying why", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/status/500/${bucket()}`, retry: { max_attempts: 1 } });
    await failOnce(id, Date.now());
    await failOnce(id, Date.now() + 5 * DAY);
    await cronWith({}, Date.now() + 5 * DAY + MINUTE);
    const read = await apiJson("GET", `/v1/tenants/${id}/endpoints/${endpoint.id}`);
    expect(read.body.enabled).toBe(false);
    expect(read.body.disabled_reason).toMatch(/^Disabled automatically: every delivery failed since \d{4}-\d\d-\d\dT.*, still failing at \d{4}-/);
  });

  it("keeps an endpoint that failed once and then got no traffic for longer than the window, and delivers its next message", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/fail/1/${name}`, retry: { max_attempts: 1 } });
    await failOnce(id, Date.now());
    await cronWith({}, Date.now() + 6 * DAY);
    expect((await apiJson("GET", `/v1/tenants/${id}/endpoints/${endpoint.id}`)).body).toMatchObject({ enabled: true, disabled_reason: null });
    const { message, tasks } = await enqueueHeld(id, { event: "x", payload: 2 });
    expect(message.deliveries).toHaveLength(1);
    await consume(tasks);
    expect((await received(name)).map((r) => r.body)).toEqual(["1", "2"]);
  });

  it("keeps an endpoint whose failures span less than the window, whenever the sweeper runs", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/status/500/${bucket()}`, retry: { max_attempts: 1 } });
    await failOnce(id, Date.now());
    await failOnce(id, Date.now() + 5 * DAY - 10 * MINUTE);
    await cronWith({}, Date.now() + 30 * DAY);
    expect((await apiJson("GET", `/v1/tenants/${id}/endpoints/${endpoint.id}`)).body.enabled).toBe(true);
  });

  it("counts the window from the first failure after the last success", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/fail/1/${bucket()}`, retry: { max_attempts: 1 } });
    await failOnce(id, Date.now());
    await consume((await enqueueHeld(id, { event: "x", payload: 2 })).tasks, { now: Date.now() + DAY });
    await (await shardOf(id)).prepare("UPDATE endpoints SET url = ? WHERE id = ?").bind(`${receiverUrl()}/status/500/${bucket()}`, endpoint.id).run();
    await failOnce(id, Date.now() + 5 * DAY + MINUTE);
    await cronWith({}, Date.now() + 5 * DAY + 2 * MINUTE);
    expect((await apiJson("GET", `/v1/tenants/${id}/endpoints/${endpoint.id}`)).body.enabled).toBe(true);
  });

  it("keeps an endpoint enabled when a success ended its failure streak", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/fail/1/${bucket()}`, retry: { schedule: [0] } });
    const { tasks } = await enqueueHeld(id, { event: "x", payload: 1 });
    await consume(tasks);
    await consume(tasks);
    await cronWith({}, Date.now() + 6 * DAY);
    expect((await apiJson("GET", `/v1/tenants/${id}/endpoints/${endpoint.id}`)).body.enabled).toBe(true);
  });

  it("purges messages, deliveries and attempts older than the retention period", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const { message, tasks } = await enqueueHeld(id, { event: "x", payload: 1 });
    await consume(tasks);
    await cronWith({}, Date.now() + 31 * DAY);
    expect((await api("GET", `/v1/tenants/${id}/messages/${message.id}`)).status).toBe(404);
    // Attempts live in the delivery row: it is gone with them.
    expect(await deliveryRow(message.deliveries[0]!.id)).toBeNull();
  });

  it("lets an Idempotency-Key be used again after 24 hours", async () => {
    const { id } = await newTenant();
    const headers = { "idempotency-key": "daily" };
    const first = await apiJson("POST", `/v1/tenants/${id}/messages`, { body: { event: "x", payload: 1 }, headers });
    await cronWith({}, Date.now() + DAY + MINUTE);
    const second = await apiJson("POST", `/v1/tenants/${id}/messages`, { body: { event: "x", payload: 1 }, headers });
    expect(second.body.id).not.toBe(first.body.id);
  });
});

describe("dead-letter queue", () => {
  it("a delivery that reaches the dead-letter queue is recorded as failed with the reason, and can be replayed", async () => {
    const { id } = await newTenant();
    const name = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const { message, tasks } = await enqueueHeld(id, { event: "x", payload: 1 });
    const batch = createMessageBatch("edgehook-deliveries-dlq", [{ id: "dlq-1", timestamp: new Date(), attempts: 101, body: tasks[0] }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["dlq-1"]);

    const delivery = await apiJson("GET", `/v1/tenants/${id}/deliveries/${message.deliveries[0]!.id}`);
    expect(delivery.body).toMatchObject({ status: "failed", last_error: expect.stringContaining("Dead-lettered after 101 consumer attempts") });
    await api("POST", `/v1/tenants/${id}/deliveries/${message.deliveries[0]!.id}/retry`);
    await eventually(async () => (await received(name)).length === 1);
  });

  it("a dead-lettered duplicate of a delivered message does not mark it failed", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const { message, tasks } = await enqueueHeld(id, { event: "x", payload: 1 });
    await consume(tasks);
    const batch = createMessageBatch("edgehook-deliveries-dlq", [{ id: "dlq-2", timestamp: new Date(), attempts: 101, body: tasks[0] }]);
    await worker.queue(batch, env);
    expect((await deliveryRow(message.deliveries[0]!.id))!.status).toBe("succeeded");
  });
});
