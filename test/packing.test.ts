import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DELIVERIES_PER_MESSAGE, tasksOf } from "../src/delivery/task";
import { bucket, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { apiHeld, consume, deliveryRow, enqueueHeld, holdingQueue } from "./support/worker";

/** A tenant with one endpoint per receiver path (`ok`, `status/500`, …), each in its own bucket. */
async function tenantWithEndpoints(paths: string[], endpoint: Record<string, unknown> = {}) {
  const { id } = await newTenant();
  const buckets = paths.map(() => bucket());
  const endpoints = [];
  for (const [i, path] of paths.entries()) endpoints.push(await newEndpoint(id, { url: `${receiverUrl()}/${path}/${buckets[i]}`, ...endpoint }));
  return { tenantId: id, buckets, endpoints };
}

/** Runs the consumer on queue messages with the queue held, so what it queues again can be read. */
async function consumeHeld(bodies: unknown[], options: { failQueue?: boolean; now?: number } = {}) {
  const held = holdingQueue({ fail: options.failQueue });
  const run = await consume(bodies, { env: { ...env, SLOW_DELIVERIES: held.queue }, now: options.now });
  return { ...run, requeued: held.sent, delays: held.delays };
}

const deliveryIds = (bodies: unknown[]) => bodies.flatMap((b) => tasksOf(b)!.map((t) => t.delivery_id));

describe("queue messages carrying several deliveries", () => {
  it("a fan-out to three endpoints is one queue message carrying the three deliveries", async () => {
    const { tenantId } = await tenantWithEndpoints(["ok", "ok", "ok"]);
    const { message, tasks } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
    expect(tasks).toHaveLength(1);
    expect(deliveryIds(tasks).sort()).toEqual(message.deliveries.map((d) => d.id).sort());
  });

  it(`a fan-out to 25 endpoints takes three queue messages of at most ${DELIVERIES_PER_MESSAGE} deliveries, in one queue call`, async () => {
    const { id } = await newTenant();
    for (let i = 0; i < 25; i++) await newEndpoint(id, { url: `https://e.com/${i}` });
    const { res, tasks, queueCalls } = await apiHeld("POST", `/v1/tenants/${id}/messages`, { event: "x", payload: 1 });
    expect(res.status).toBe(202);
    expect(tasks.map((t) => tasksOf(t)!.length)).toEqual([10, 10, 5]);
    expect(queueCalls).toBe(1);
  });

  it("a batch of 100 messages to one endpoint is queued as ten messages in one queue call", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: "https://e.com/a" });
    const messages = Array.from({ length: 100 }, (_, i) => ({ event: "x", payload: i }));
    const { res, tasks, queueCalls } = await apiHeld("POST", `/v1/tenants/${id}/messages/batch`, { messages });
    expect(res.status).toBe(202);
    expect(tasks).toHaveLength(10);
    expect(new Set(deliveryIds(tasks)).size).toBe(100);
    expect(queueCalls).toBe(1);
  });

  it("when one delivery of a packed message fails, only it comes back, after its own delay; its neighbours are not sent again", async () => {
    const { tenantId, buckets, endpoints } = await tenantWithEndpoints(["ok", "status/500", "ok"], { retry: { schedule: [30, 30] } });
    const { message, tasks } = await enqueueHeld(tenantId, { event: "x", payload: { n: 1 } });
    const failing = message.deliveries.find((d) => d.endpoint_id === endpoints[1]!.id)!;

    const first = await consumeHeld(tasks);
    expect(first.result.explicitAcks).toEqual(first.ids);
    expect(first.result.retryMessages).toEqual([]);
    expect(deliveryIds(first.requeued)).toEqual([failing.id]);
    expect(first.delays).toEqual([30]);
    expect(await deliveryRow(failing.id)).toMatchObject({ status: "retrying", attempts: 1 });

    // Its own message, once its delay has passed: it fails again and comes back again, alone.
    const second = await consumeHeld(first.requeued, { now: Date.now() + 31_000 });
    expect(second.result.retryMessages).toEqual([{ msgId: second.ids[0], delaySeconds: 30 }]);
    expect(await deliveryRow(failing.id)).toMatchObject({ status: "retrying", attempts: 2 });
    expect((await received(buckets[0]!)).length).toBe(1);
    expect((await received(buckets[1]!)).length).toBe(2);
    expect((await received(buckets[2]!)).length).toBe(1);
    for (const d of message.deliveries.filter((d) => d.id !== failing.id)) expect(await deliveryRow(d.id)).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("each delivery of a packed message keeps its own delay and attempt budget", async () => {
    const { tenantId, endpoints } = await tenantWithEndpoints(["status/500", "status/503"]);
    // Budgets of 1 and 3 attempts, and different schedules, on the two endpoints of one message.
    await apiHeld("PATCH", `/v1/tenants/${tenantId}/endpoints/${endpoints[0]!.id}`, { retry: { max_attempts: 1 } });
    await apiHeld("PATCH", `/v1/tenants/${tenantId}/endpoints/${endpoints[1]!.id}`, { retry: { schedule: [45, 90] } });
    const { message, tasks } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
    const [exhausted, retried] = [0, 1].map((i) => message.deliveries.find((d) => d.endpoint_id === endpoints[i]!.id)!);

    const run = await consumeHeld(tasks);
    expect(run.result.explicitAcks).toEqual(run.ids);
    expect(deliveryIds(run.requeued)).toEqual([retried!.id]);
    expect(run.delays).toEqual([45]);
    expect(await deliveryRow(exhausted!.id)).toMatchObject({ status: "failed", attempts: 1 });
  });

  it("a packed message whose deliveries all come back after the same delay is retried as it is", async () => {
    const { tenantId } = await tenantWithEndpoints(["status/500", "status/500"], { retry: { schedule: [30] } });
    const { tasks } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
    const run = await consumeHeld(tasks);
    expect(run.result.retryMessages).toEqual([{ msgId: run.ids[0], delaySeconds: 30 }]);
    expect(run.requeued).toEqual([]);
  });

  it("a delivery whose endpoint was deleted is cancelled while its neighbour in the same message is sent", async () => {
    const { tenantId, buckets, endpoints } = await tenantWithEndpoints(["ok", "ok"]);
    const { message, tasks } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
    await apiHeld("DELETE", `/v1/tenants/${tenantId}/endpoints/${endpoints[0]!.id}`);
    const run = await consumeHeld(tasks);
    expect(run.result.explicitAcks).toEqual(run.ids);
    const [gone, kept] = [0, 1].map((i) => message.deliveries.find((d) => d.endpoint_id === endpoints[i]!.id)!);
    expect(await deliveryRow(gone!.id)).toMatchObject({ status: "cancelled" });
    expect(await deliveryRow(kept!.id)).toMatchObject({ status: "succeeded" });
    expect((await received(buckets[1]!)).length).toBe(1);
  });

  it("when the queue refuses the re-sent part, the whole message comes back and its finished deliveries are not sent again", async () => {
    const { tenantId, buckets } = await tenantWithEndpoints(["ok", "status/500"], { retry: { schedule: [30] } });
    const { tasks } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
    const run = await consumeHeld(tasks, { failQueue: true });
    expect(run.result.retryMessages).toEqual([{ msgId: run.ids[0], delaySeconds: 30 }]);
    // Queues brings it back after the delay: the finished delivery is acked without a send.
    await consumeHeld(run.retried);
    expect((await received(buckets[0]!)).length).toBe(1);
  });
});
