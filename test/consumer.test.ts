import { describe, expect, it } from "vitest";
import { getDeliveryWithAttempts } from "../src/db/deliveries";
import { defaultScheduleSeconds } from "../src/delivery/backoff";
import { DEFAULT_MAX_ATTEMPTS } from "../src/limits";
import { api, bucket, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { consume, deliveryRow, enqueueHeld } from "./support/worker";
import { shardOf } from "./support/shards";

/** A tenant with one endpoint at the receiver path `kind/…/bucket`, and a message held for the consumer. */
async function heldDelivery(receiverPath: string, endpoint: Record<string, unknown> = {}) {
  const { id } = await newTenant();
  const name = bucket();
  const created = await newEndpoint(id, { url: `${receiverUrl()}/${receiverPath}/${name}`, ...endpoint });
  const { message, tasks } = await enqueueHeld(id, { event: "document.predicted", payload: { n: 1 } });
  return { tenantId: id, endpoint: created, bucket: name, message, task: tasks[0]!, deliveryId: message.deliveries[0]!.id };
}

describe("delivery consumer", () => {
  it("acks a delivery the receiver accepts and records it as succeeded", async () => {
    const d = await heldDelivery("ok");
    const { result, ids } = await consume([d.task]);
    expect(result.explicitAcks).toEqual(ids);
    expect(result.retryMessages).toEqual([]);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "succeeded", attempts: 1, last_status_code: 200 });
    expect(await received(d.bucket)).toHaveLength(1);
  });

  it("records every delivery of a batch, successes and failures alike, with one attempt row each", async () => {
    const ok = await heldDelivery("ok");
    const failing = await heldDelivery("status/500", { retry: { schedule: [30] } });
    const { result, ids } = await consume([ok.task, failing.task]);
    expect(result.explicitAcks).toEqual([ids[0]]);
    expect(result.retryMessages).toEqual([{ msgId: ids[1], delaySeconds: 30 }]);
    expect(await deliveryRow(ok.deliveryId)).toMatchObject({ status: "succeeded", attempts: 1, last_status_code: 200, last_error: null });
    expect(await deliveryRow(failing.deliveryId)).toMatchObject({ status: "retrying", attempts: 1, last_status_code: 500 });
    const attempts = async (d: typeof ok) =>
      (await getDeliveryWithAttempts(await shardOf(d.tenantId), d.tenantId, d.deliveryId))!.attempts.map(({ attempt, outcome, status_code }) => ({ attempt, outcome, status_code }));
    expect(await attempts(ok)).toEqual([{ attempt: 1, outcome: "ok", status_code: 200 }]);
    expect(await attempts(failing)).toEqual([{ attempt: 1, outcome: "retryable", status_code: 500 }]);
  });

  it("retries a failed delivery after the endpoint's scheduled delay", async () => {
    const d = await heldDelivery("status/500", { retry: { schedule: [30, 60] } });
    const now = Date.now();
    const { result, ids } = await consume([d.task], { now });
    expect(result.retryMessages).toEqual([{ msgId: ids[0], delaySeconds: 30 }]);
    const row = await deliveryRow(d.deliveryId);
    expect(row).toMatchObject({ status: "retrying", attempts: 1, last_status_code: 500 });
    expect(row!.next_attempt_at).toBeGreaterThanOrEqual(now + 30_000);
  });

  it("follows the default schedule: 5 s after the first failure, with jitter of at most 20 %", async () => {
    const low = await heldDelivery("status/503");
    const high = await heldDelivery("status/503");
    expect((await consume([low.task], { random: () => 0 })).result.retryMessages[0]!.delaySeconds).toBe(4);
    expect((await consume([high.task], { random: () => 0.999999 })).result.retryMessages[0]!.delaySeconds).toBe(6);
  });

  it("the default schedule grows from seconds to 12 h and spans more than a day", () => {
    const steps = defaultScheduleSeconds();
    expect(steps).toEqual([5, 20, 80, 320, 1280, 5120, 20480, 43200, 43200]);
    expect(steps.length).toBe(DEFAULT_MAX_ATTEMPTS - 1);
    expect(steps.reduce((a, b) => a + b, 0) * 0.8).toBeGreaterThan(24 * 3600);
  });

  it("marks a delivery failed and acks it when its attempts run out", async () => {
    const d = await heldDelivery("status/500", { retry: { max_attempts: 2, schedule: [0] } });
    await consume([d.task]);
    const { result, ids } = await consume([d.task]);
    expect(result.explicitAcks).toEqual(ids);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "failed", attempts: 2, next_attempt_at: null });
    expect(await received(d.bucket)).toHaveLength(2);
  });

  it("acks a duplicate of a finished delivery without sending it again", async () => {
    const d = await heldDelivery("ok");
    await consume([d.task]);
    const { result, ids } = await consume([d.task]);
    expect(result.explicitAcks).toEqual(ids);
    expect(await received(d.bucket)).toHaveLength(1);
  });

  it("sends a delivery once when the same task arrives twice in one batch", async () => {
    const d = await heldDelivery("ok");
    const { result } = await consume([d.task, d.task]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(await received(d.bucket)).toHaveLength(1);
  });

  it("ignores a stale task whose queue chain was superseded", async () => {
    const d = await heldDelivery("ok");
    const { result, ids } = await consume([{ ...d.task, token: "0000000000000000" }]);
    expect(result.explicitAcks).toEqual(ids);
    expect(await received(d.bucket)).toHaveLength(0);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("cancels and acks a delivery whose endpoint was deleted meanwhile", async () => {
    const d = await heldDelivery("ok");
    await api("DELETE", `/v1/tenants/${d.tenantId}/endpoints/${d.endpoint.id}`);
    const { result, ids } = await consume([d.task]);
    expect(result.explicitAcks).toEqual(ids);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "cancelled", last_error: "Endpoint was deleted" });
    expect(await received(d.bucket)).toHaveLength(0);
  });

  it("cancels a delivery whose endpoint was disabled meanwhile", async () => {
    const d = await heldDelivery("ok");
    await api("PATCH", `/v1/tenants/${d.tenantId}/endpoints/${d.endpoint.id}`, { body: { enabled: false } });
    await consume([d.task]);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "cancelled", last_error: "Endpoint is disabled" });
  });

  it("waits as long as a 429's Retry-After asks, within an hour", async () => {
    const d = await heldDelivery("retry-after/120", { retry: { schedule: [5] } });
    expect((await consume([d.task])).result.retryMessages[0]!.delaySeconds).toBe(120);
  });

  it("never waits longer than an hour however long Retry-After asks for", async () => {
    const d = await heldDelivery("retry-after/7200", { retry: { schedule: [5] } });
    expect((await consume([d.task])).result.retryMessages[0]!.delaySeconds).toBe(3600);
  });

  it("a wait longer than Queues allows arrives in 12 h hops without sending early", async () => {
    const d = await heldDelivery("status/500", { retry: { schedule: [86_400] } });
    const now = Date.now();
    expect((await consume([d.task], { now })).result.retryMessages[0]!.delaySeconds).toBe(43_200);
    const hop = await consume([d.task], { now: now + 43_200_000 });
    expect(hop.result.retryMessages[0]!.delaySeconds).toBe(43_200);
    expect(await received(d.bucket)).toHaveLength(1);
    await consume([d.task], { now: now + 86_400_000 });
    expect(await received(d.bucket)).toHaveLength(2);
  });

  it("acks and drops a message that is not a delivery task", async () => {
    const { result, ids } = await consume([{ hello: "world" }]);
    expect(result.explicitAcks).toEqual(ids);
  });

  it("a 410 Gone fails the delivery at once and disables the endpoint", async () => {
    const d = await heldDelivery("status/410");
    const { result } = await consume([d.task]);
    expect(result.retryMessages).toEqual([]);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "failed", attempts: 1 });
    const endpoint = await (await shardOf(d.tenantId)).prepare("SELECT enabled, disabled_reason FROM endpoints WHERE id = ?").bind(d.endpoint.id).first();
    expect(endpoint).toEqual({ enabled: 0, disabled_reason: "Receiver answered 410 Gone" });
  });

  it("starts an endpoint's failure streak on failure and clears it on success", async () => {
    const d = await heldDelivery("fail/1", { retry: { schedule: [0] } });
    await consume([d.task]);
    const shard = await shardOf(d.tenantId);
    const failing = () => shard.prepare("SELECT failing_since FROM endpoints WHERE id = ?").bind(d.endpoint.id).first("failing_since");
    expect(await failing()).toEqual(expect.any(Number));
    await consume([d.task]);
    expect(await failing()).toBeNull();
  });
});
