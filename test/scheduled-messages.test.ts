import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readConfig } from "../src/config";
import { claimMs } from "../src/delivery/claim";
import { MAX_QUEUE_DELAY_SECONDS } from "../src/delivery/backoff";
import { apiJson, bucket, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { apiHeld, consume, deliveryRow, sweepHeld } from "./support/worker";

// Issue 26: delayed and scheduled messages, and cancelling a message (CONTRACT.md, Delivery control).

const DAY_SECONDS = 86_400;

/** A tenant with one endpoint answering 2xx (or, with `fails`, 500), and the receiver bucket it posts to. */
async function tenantWithEndpoint(fails = false) {
  const tenant = await newTenant();
  const name = bucket();
  await newEndpoint(tenant.id, { url: `${receiverUrl()}/${fails ? "fail/100" : "ok"}/${name}` });
  return { tenantId: tenant.id, name };
}

/** Enqueues `body` with the queue held back: the 202's message, the queue messages and their delays. */
async function enqueueScheduled(tenantId: string, body: Record<string, unknown>, options: { failQueue?: boolean } = {}) {
  const { res, tasks, delays } = await apiHeld("POST", `/v1/tenants/${tenantId}/messages`, { event: "invoice.due", payload: { n: 1 }, ...body }, options);
  expect(res.status).toBe(202);
  const message = (await res.json()) as { id: string; deliveries: Array<{ id: string; status: string }> };
  return { message, tasks, delays };
}

describe("delayed and scheduled messages", () => {
  it("a message with delay_seconds has scheduled deliveries due that many seconds after it was created", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const { message } = await enqueueScheduled(tenantId, { delay_seconds: 60 });
    expect(message.deliveries.map((d) => d.status)).toEqual(["scheduled"]);
    const polled = await apiJson("GET", `/v1/tenants/${tenantId}/messages/${message.id}`);
    const [delivery] = polled.body.deliveries;
    expect(delivery.status).toBe("scheduled");
    expect(Date.parse(delivery.next_attempt_at) - Date.parse(polled.body.created_at)).toBe(60_000);
  });

  it("a delayed message is queued with its delay and nothing is sent before it is due", async () => {
    const { tenantId, name } = await tenantWithEndpoint();
    const { message, tasks, delays } = await enqueueScheduled(tenantId, { delay_seconds: 120 });
    expect(delays).toEqual([120]);
    const early = await consume(tasks, { now: Date.now() + 30_000 });
    expect(await received(name)).toEqual([]);
    const [wait] = early.result.retryMessages.map((r) => r.delaySeconds!);
    expect(wait).toBeGreaterThan(85);
    expect(wait).toBeLessThanOrEqual(90);
    expect((await deliveryRow(message.deliveries[0]!.id))!.status).toBe("scheduled");
  });

  it("a scheduled delivery is sent once it is due and is then no longer scheduled", async () => {
    const { tenantId, name } = await tenantWithEndpoint();
    const { message, tasks } = await enqueueScheduled(tenantId, { delay_seconds: 120 });
    await consume(tasks, { now: Date.now() + 121_000 });
    expect(await received(name)).toHaveLength(1);
    expect((await deliveryRow(message.deliveries[0]!.id))!.status).toBe("succeeded");
  });

  it("a delay longer than the queue's own maximum is queued for the maximum, and the next hop for the rest", async () => {
    const { tenantId, name } = await tenantWithEndpoint();
    const { tasks, delays } = await enqueueScheduled(tenantId, { delay_seconds: 2 * DAY_SECONDS });
    expect(delays).toEqual([MAX_QUEUE_DELAY_SECONDS]);
    const hop = await consume(tasks, { now: Date.now() + 36 * 3_600_000 });
    const [wait] = hop.result.retryMessages.map((r) => r.delaySeconds!);
    expect(wait).toBeGreaterThan(12 * 3_600 - 10);
    expect(wait).toBeLessThanOrEqual(12 * 3_600);
    expect(await received(name)).toEqual([]);
  });

  it("a deliver_at in the past means now: the deliveries are pending and queued without delay", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const { message, delays } = await enqueueScheduled(tenantId, { deliver_at: "2020-01-01T00:00:00Z" });
    expect(message.deliveries.map((d) => d.status)).toEqual(["pending"]);
    expect(delays).toEqual([undefined]);
  });

  it("a deliver_at ahead schedules the deliveries for that time", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const at = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
    const { message } = await enqueueScheduled(tenantId, { deliver_at: at });
    expect(message.deliveries.map((d) => d.status)).toEqual(["scheduled"]);
    expect((await deliveryRow(message.deliveries[0]!.id))!.next_attempt_at).toBe(Date.parse(at));
  });

  it("a deliver_at more than 30 days ahead is a 400 naming deliver_at, and nothing is stored", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const at = new Date(Date.now() + 31 * DAY_SECONDS * 1000).toISOString();
    const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "x", payload: 1, deliver_at: at } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: "deliver_at", message: "must be at most 30 days ahead" }]);
    expect((await apiJson("GET", `/v1/tenants/${tenantId}/messages`)).body.data).toEqual([]);
  });

  it("a delay_seconds over 30 days is a 400 naming delay_seconds", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "x", payload: 1, delay_seconds: 30 * DAY_SECONDS + 1 } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["delay_seconds"]);
  });

  it("delay_seconds and deliver_at together are a 400", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, {
      body: { event: "x", payload: 1, delay_seconds: 5, deliver_at: "2030-01-01T00:00:00Z" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: "deliver_at", message: "give delay_seconds or deliver_at, not both" }]);
  });

  it("the batch route schedules each message by its own fields", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const { res, delays } = await apiHeld("POST", `/v1/tenants/${tenantId}/messages/batch`, {
      messages: [
        { event: "x", payload: 1, delay_seconds: 300 },
        { event: "x", payload: 2 },
      ],
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { messages: Array<{ deliveries: Array<{ status: string }> }> };
    expect(body.messages.map((m) => m.deliveries[0]!.status)).toEqual(["scheduled", "pending"]);
    expect([...delays].sort()).toEqual([300, undefined]);
  });

  it("an idempotent replay of a delayed message answers as the first response did: its deliveries scheduled", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const body = { event: "invoice.due", payload: { n: 1 }, delay_seconds: 600 };
    const headers = { "idempotency-key": `delayed-${bucket()}` };
    const first = await apiHeld("POST", `/v1/tenants/${tenantId}/messages`, body, { headers });
    const again = await apiHeld("POST", `/v1/tenants/${tenantId}/messages`, body, { headers });
    const [firstBody, againBody] = (await Promise.all([first.res.json(), again.res.json()])) as Array<{ id: string; deliveries: Array<{ status: string }> }>;
    expect(againBody!.id).toBe(firstBody!.id);
    expect(againBody!.deliveries.map((d) => d.status)).toEqual(["scheduled"]);
    expect(again.tasks).toHaveLength(0);
  });

  it("a batch replayed by its Idempotency-Key answers each message's scheduled or pending status as first answered", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const body = { messages: [{ event: "x", payload: 1, delay_seconds: 300 }, { event: "x", payload: 2 }, { event: "x", payload: 3, deliver_at: new Date(Date.now() + 3_600_000).toISOString() }] };
    const headers = { "idempotency-key": `batch-${bucket()}` };
    await apiHeld("POST", `/v1/tenants/${tenantId}/messages/batch`, body, { headers });
    const again = await apiHeld("POST", `/v1/tenants/${tenantId}/messages/batch`, body, { headers });
    const replayed = (await again.res.json()) as { messages: Array<{ deliveries: Array<{ status: string }> }> };
    expect(replayed.messages.map((m) => m.deliveries[0]!.status)).toEqual(["scheduled", "pending", "scheduled"]);
  });

  it("the batch route names the item whose deliver_at is too far ahead", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const far = new Date(Date.now() + 40 * DAY_SECONDS * 1000).toISOString();
    const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages/batch`, {
      body: { messages: [{ event: "x", payload: 1 }, { event: "x", payload: 2, deliver_at: far }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["messages.1.deliver_at"]);
  });

  it("a scheduled delivery whose queue message was lost is re-armed by the sweeper once due, and delivered", async () => {
    const { tenantId, name } = await tenantWithEndpoint();
    const { message } = await enqueueScheduled(tenantId, { delay_seconds: 600 }, { failQueue: true });
    const due = Date.now() + 600_000;
    expect((await sweepHeld(due - 60_000)).map((t) => t.delivery_id)).not.toContain(message.deliveries[0]!.id);
    const rearmed = await sweepHeld(due + claimMs(readConfig(env)) + 60_000);
    expect(rearmed.map((t) => t.delivery_id)).toContain(message.deliveries[0]!.id);
    expect((await deliveryRow(message.deliveries[0]!.id))!.status).toBe("pending");
    await consume(rearmed.filter((t) => t.delivery_id === message.deliveries[0]!.id), { now: due + claimMs(readConfig(env)) + 60_000 });
    expect(await received(name)).toHaveLength(1);
  });
});

describe("cancelling a message", () => {
  it("cancelling before it is due cancels its scheduled deliveries, which are then never sent", async () => {
    const { tenantId, name } = await tenantWithEndpoint();
    const { message, tasks } = await enqueueScheduled(tenantId, { delay_seconds: 60 });
    const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages/${message.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(message.id);
    expect(res.body.deliveries.map((d: { status: string }) => d.status)).toEqual(["cancelled"]);
    const late = await consume(tasks, { now: Date.now() + 61_000 });
    expect(late.result.retryMessages).toEqual([]);
    expect(await received(name)).toEqual([]);
  });

  it("cancelling after an attempt leaves the attempted delivery as it is", async () => {
    const { tenantId } = await tenantWithEndpoint(true);
    const { message, tasks } = await enqueueScheduled(tenantId, {});
    await consume(tasks);
    expect((await deliveryRow(message.deliveries[0]!.id))!.status).toBe("retrying");
    const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages/${message.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.deliveries.map((d: { status: string }) => d.status)).toEqual(["retrying"]);
  });

  it("cancelling twice answers 200 both times with the same message", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const { message } = await enqueueScheduled(tenantId, { delay_seconds: 60 });
    const first = await apiJson("POST", `/v1/tenants/${tenantId}/messages/${message.id}/cancel`);
    const second = await apiJson("POST", `/v1/tenants/${tenantId}/messages/${message.id}/cancel`);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it("cancelling a message delivered in full is a 200 that changes nothing", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const { message, tasks } = await enqueueScheduled(tenantId, {});
    await consume(tasks);
    const before = await deliveryRow(message.deliveries[0]!.id);
    const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages/${message.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.deliveries.map((d: { status: string }) => d.status)).toEqual(["succeeded"]);
    expect(await deliveryRow(message.deliveries[0]!.id)).toEqual(before);
  });

  it("cancelling a message the tenant does not have is a 404", async () => {
    const { tenantId } = await tenantWithEndpoint();
    const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages/0193a5c4-0000-7000-8000-000000000000/cancel`);
    expect(res.status).toBe(404);
  });
});
