import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readConfig } from "../src/config";
import { claimMs } from "../src/delivery/claim";
import { SLOW_ANSWER_MS } from "../src/delivery/lanes";
import { tasksOf } from "../src/delivery/task";
import { api, apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl, release, requestsArrived } from "./support/api";
import { shardOf } from "./support/shards";
import { consume, deliveryRow, enqueueHeld, holdingQueue, MAIN_LANE, sweepHeld } from "./support/worker";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Since when the endpoint is in the slow lane (epoch ms), or null when it is in the main lane. */
async function slowSince(tenantId: string, endpointId: string): Promise<number | null> {
  const shard = await shardOf(tenantId);
  return shard.prepare("SELECT slow_since FROM endpoints WHERE id = ?").bind(endpointId).first<number | null>("slow_since");
}

/** Enqueues one message with the queue held back and returns its delivery id and queue messages. */
async function enqueueOne(tenantId: string) {
  const { message, tasks } = await enqueueHeld(tenantId, { event: "document.predicted", payload: {} });
  return { deliveryId: message.deliveries[0]!.id, tasks };
}

/** The deliveries the sweeper re-arms when it runs at `at` (epoch ms). */
async function rearmedAt(at: number): Promise<string[]> {
  return (await sweepHeld(at)).flatMap((body) => tasksOf(body)!.map((t) => t.delivery_id));
}

/** Runs a main-lane batch with the slow lane's queue held, so what it forwards can be read. */
async function consumeInMainLane(tasks: unknown[]) {
  const slowLane = holdingQueue();
  const run = await consume(tasks, { queue: MAIN_LANE, env: { ...env, SLOW_DELIVERIES: slowLane.queue } });
  const forwarded = slowLane.sent.flatMap((body) => tasksOf(body)!.map((t) => t.delivery_id));
  return { ...run, forwarded, delays: slowLane.delays };
}

describe("kind: an endpoint that is new, slow or hanging waits in the slow lane, never in the main lane", () => {
  it("a new endpoint's delivery reaching the main lane is forwarded to the slow lane unsent, with no attempt counted", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const { deliveryId, tasks } = await enqueueOne(id);

    const { result, ids, forwarded, delays } = await consumeInMainLane(tasks);

    expect(result.explicitAcks).toEqual(ids);
    expect(forwarded).toEqual([deliveryId]);
    expect(delays).toEqual([0]);
    expect(await received(name)).toEqual([]);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "pending", attempts: 0 });
    expect(await slowSince(id, endpoint.id)).toBeGreaterThan(0);
  });

  it(`an endpoint whose receiver answers within ${SLOW_ANSWER_MS} ms moves to the main lane, which then sends to it directly`, async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/status/500/${name}` });
    await consume((await enqueueOne(id)).tasks);
    expect(await slowSince(id, endpoint.id)).toBeNull();

    const { deliveryId, tasks } = await enqueueOne(id);
    const { forwarded } = await consumeInMainLane(tasks);

    expect(forwarded).toEqual([]);
    expect(await received(name)).toHaveLength(2);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "retrying", attempts: 1 });
  });

  it(`a request that takes ${SLOW_ANSWER_MS} ms or longer moves its endpoint back to the slow lane`, async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/hold/2/${name}` });
    const quick = consume((await enqueueOne(id)).tasks);
    await requestsArrived(name, 1);
    await release(name);
    await quick;
    expect(await slowSince(id, endpoint.id)).toBeNull();

    const { deliveryId, tasks } = await enqueueOne(id);
    const slow = consumeInMainLane(tasks);
    await requestsArrived(name, 2);
    await sleep(SLOW_ANSWER_MS + 300);
    await release(name);
    await slow;

    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await slowSince(id, endpoint.id)).toBeGreaterThan(0);
    const next = await enqueueOne(id);
    expect((await consumeInMainLane(next.tasks)).forwarded).toEqual([next.deliveryId]);
  });

  it("the API shows an endpoint's delivery lane: slow while it is new, main once its receiver has answered quickly", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    expect(endpoint.delivery_lane).toBe("slow");
    await consume((await enqueueOne(id)).tasks);

    const shown = await api("GET", `/v1/tenants/${id}/endpoints/${endpoint.id}`);

    expect(await shown.json()).toMatchObject({ delivery_lane: "main" });
  });

  it("changing an endpoint's URL puts it in the slow lane until its new receiver answers quickly", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await consume((await enqueueOne(id)).tasks);
    expect(await slowSince(id, endpoint.id)).toBeNull();

    const moved = await api("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { url: `${receiverUrl()}/ok/${bucket()}` } });
    expect(moved.status).toBe(200);
    const { deliveryId, tasks } = await enqueueOne(id);

    expect((await consumeInMainLane(tasks)).forwarded).toEqual([deliveryId]);
  });

  it("a quick answer from an endpoint's old URL, to a batch that was sending while the URL changed, leaves the new URL in the slow lane", async () => {
    const { id } = await newTenant();
    const old = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/hold/1/${old}` });
    const sending = consume((await enqueueOne(id)).tasks);
    await requestsArrived(old, 1);

    const moved = await api("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { url: `${receiverUrl()}/ok/${bucket()}` } });
    await release(old);
    await sending;

    expect(moved.status).toBe(200);
    expect(await slowSince(id, endpoint.id)).toBeGreaterThan(0);
  });
});

describe("kind: a main-lane batch never waits on a receiver that turns slow for more than the requests already open", () => {
  it(`once a request to an endpoint has run ${SLOW_ANSWER_MS} ms, the batch forwards that endpoint's unsent deliveries and sends the others' as usual`, async () => {
    const turning = await newTenant();
    const steady = await newTenant();
    const [turningBucket, steadyBucket] = [bucket(), bucket()];
    // The first request is answered at once (the endpoint proves quick); the next ones hang until cut off.
    const turningEndpoint = await newEndpoint(turning.id, { url: `${receiverUrl()}/hold/10/${turningBucket}`, timeout_ms: 4_000, retry: { max_attempts: 1 } });
    await newEndpoint(steady.id, { url: `${receiverUrl()}/ok/${steadyBucket}` });
    const proving = consume((await enqueueOne(turning.id)).tasks);
    await requestsArrived(turningBucket, 1);
    await release(turningBucket);
    await proving;
    await consume((await enqueueOne(steady.id)).tasks);
    const turningTasks = [];
    for (let i = 0; i < 10; i++) turningTasks.push(...(await enqueueOne(turning.id)).tasks);
    const steadyIds: string[] = [];
    const steadyTasks = [];
    for (let i = 0; i < 10; i++) {
      const { deliveryId, tasks } = await enqueueOne(steady.id);
      steadyIds.push(deliveryId);
      steadyTasks.push(...tasks);
    }

    const { forwarded } = await consumeInMainLane([...turningTasks, ...steadyTasks]);

    // The steady endpoint's sends end at once, so the turning one gets all six connections; its other four wait and move on.
    expect(await received(turningBucket)).toHaveLength(1 + 6);
    expect(forwarded).toHaveLength(4);
    expect(await received(steadyBucket)).toHaveLength(1 + 10);
    for (const id of steadyIds) expect(await deliveryRow(id)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await slowSince(turning.id, turningEndpoint.id)).toBeGreaterThan(0);
  });
});

describe("kind: through the real queues, a hanging receiver never holds up another endpoint's deliveries", () => {
  it("a quick endpoint's deliveries all succeed while a new endpoint's requests are still hanging", async () => {
    const hanging = await newTenant();
    const quick = await newTenant();
    const [hangingBucket, quickBucket] = [bucket(), bucket()];
    await newEndpoint(hanging.id, { url: `${receiverUrl()}/hang/${hangingBucket}`, timeout_ms: 12_000, retry: { max_attempts: 1 } });
    await newEndpoint(quick.id, { url: `${receiverUrl()}/ok/${quickBucket}` });
    const enqueue = (tenantId: string) => api("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "document.predicted", payload: {} } });
    // One quick answer through the queues brings the quick endpoint to the main lane.
    await enqueue(quick.id);
    await requestsArrived(quickBucket, 1);

    for (let i = 0; i < 6; i++) await enqueue(hanging.id);
    await requestsArrived(hangingBucket, 1);
    const started = Date.now();
    for (let i = 0; i < 10; i++) await enqueue(quick.id);
    await requestsArrived(quickBucket, 11);

    expect(Date.now() - started).toBeLessThan(8_000);
    const shard = await shardOf(hanging.id);
    const finished = await shard.prepare("SELECT count(*) AS n FROM deliveries WHERE tenant_id = ? AND status <> 'pending'").bind(hanging.id).first("n");
    expect(finished).toBe(0);
  }, 45_000);
});

describe("kind: through the real queues, a main-lane receiver turning slow never holds the queue behind its batch", () => {
  it("a quick endpoint's delivery, enqueued while another main-lane endpoint's request hangs, is recorded delivered while that request is still open", async () => {
    const turning = await newTenant();
    const quick = await newTenant();
    const [turningBucket, quickBucket] = [bucket(), bucket()];
    // The first request is answered at once (the endpoint proves quick and joins the main lane); the next one hangs until released.
    const turningEndpoint = await newEndpoint(turning.id, { url: `${receiverUrl()}/hold/2/${turningBucket}`, timeout_ms: 30_000, retry: { max_attempts: 1 } });
    const quickEndpoint = await newEndpoint(quick.id, { url: `${receiverUrl()}/ok/${quickBucket}` });
    const enqueue = async (tenantId: string) =>
      (await apiJson<{ deliveries: Array<{ id: string }> }>("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "document.predicted", payload: {} } })).body;
    await enqueue(quick.id);
    await enqueue(turning.id);
    await requestsArrived(turningBucket, 1);
    await release(turningBucket);
    await requestsArrived(quickBucket, 1);
    await eventually(async () => (await slowSince(turning.id, turningEndpoint.id)) === null && (await slowSince(quick.id, quickEndpoint.id)) === null);

    const hanging = (await enqueue(turning.id)).deliveries[0]!.id;
    await requestsArrived(turningBucket, 2);
    const quickDelivery = (await enqueue(quick.id)).deliveries[0]!.id;
    await eventually(async () => (await deliveryRow(quickDelivery))?.status === "succeeded", 25_000);

    expect(await deliveryRow(hanging)).toMatchObject({ status: "pending", attempts: 0 });
    expect(await received(turningBucket)).toHaveLength(2);
    await release(turningBucket);
    await eventually(async () => (await deliveryRow(hanging))?.status === "succeeded");
  }, 60_000);
});

describe("kind: a delivery leaving the main lane is in exactly one queue message, never lost", () => {
  /** A tenant whose message fans out, in one packed queue message, to a main-lane endpoint answering 500 and a new (slow-lane) one. */
  async function mixedPack() {
    const { id } = await newTenant();
    const failing = await newEndpoint(id, { url: `${receiverUrl()}/status/500/${bucket()}` });
    await consume((await enqueueOne(id)).tasks);
    const fresh = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const { message, tasks } = await enqueueHeld(id, { event: "document.predicted", payload: {} });
    const idOf = (endpointId: string) => message.deliveries.find((d) => d.endpoint_id === endpointId)!.id;
    return { tasks, retried: idOf(failing.id), forwarded: idOf(fresh.id) };
  }

  it("a packed message whose forwarded delivery the slow queue refuses, while its retried one reached the main queue, is acked, not retried whole", async () => {
    const { tasks, retried } = await mixedPack();
    expect(tasks).toHaveLength(1);
    const [mainLane, slowLane] = [holdingQueue(), holdingQueue({ fail: true })];

    const { result, ids } = await consume(tasks, { queue: MAIN_LANE, env: { ...env, DELIVERIES: mainLane.queue, SLOW_DELIVERIES: slowLane.queue } });

    expect(mainLane.sent.flatMap((body) => tasksOf(body)!.map((t) => t.delivery_id))).toEqual([retried]);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toEqual(ids);
  });

  it("a forwarded delivery the slow queue refused is re-armed by the sweeper once its claim lapses", async () => {
    const { tasks, forwarded } = await mixedPack();
    const [mainLane, slowLane] = [holdingQueue(), holdingQueue({ fail: true })];
    await consume(tasks, { queue: MAIN_LANE, env: { ...env, DELIVERIES: mainLane.queue, SLOW_DELIVERIES: slowLane.queue } });

    expect(await rearmedAt(Date.now() + claimMs(readConfig(env)) + 60_000)).toContain(forwarded);
    expect(await deliveryRow(forwarded)).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("a packed message none of whose deliveries could be queued again is retried whole", async () => {
    const { tasks } = await mixedPack();
    const [mainLane, slowLane] = [holdingQueue({ fail: true }), holdingQueue({ fail: true })];

    const { result } = await consume(tasks, { queue: MAIN_LANE, env: { ...env, DELIVERIES: mainLane.queue, SLOW_DELIVERIES: slowLane.queue } });

    expect(result.retryMessages).toHaveLength(1);
    expect(result.explicitAcks).toEqual([]);
  });
});

describe("kind: a delivery forwarded to the slow lane keeps its claim until the slow lane can pick it up", () => {
  it("a delivery forwarded after waiting nearly its whole claim in the main lane is not re-armed by the sweeper a minute later", async () => {
    const { id } = await newTenant();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const { deliveryId, tasks } = await enqueueOne(id);
    const forwardedAt = Date.now() + claimMs(readConfig(env)) - 30_000;
    const slowLane = holdingQueue();
    await consume(tasks, { queue: MAIN_LANE, now: forwardedAt, env: { ...env, SLOW_DELIVERIES: slowLane.queue } });
    expect(slowLane.sent).toHaveLength(1);

    expect(await rearmedAt(forwardedAt + 60_000)).not.toContain(deliveryId);
  });

  it(`a delivery forwarded mid-batch, after a request to its endpoint ran ${SLOW_ANSWER_MS} ms, late in its claim, is not re-armed by the sweeper a minute later`, async () => {
    const { id } = await newTenant();
    const name = bucket();
    // The first request is answered at once (the endpoint proves quick); the next ones hang until released.
    await newEndpoint(id, { url: `${receiverUrl()}/hold/10/${name}`, timeout_ms: 4_000, retry: { max_attempts: 1 } });
    const proving = consume((await enqueueOne(id)).tasks);
    await requestsArrived(name, 1);
    await release(name);
    await proving;
    const tasks = [];
    for (let i = 0; i < 10; i++) tasks.push(...(await enqueueOne(id)).tasks);
    // The batch begins 130 s before the claims lapse: its own sends need no renewal (a batch lasts at
    // most 121 s), but the slow lane could not pick up what it forwards in time.
    const startedAt = Date.now() + claimMs(readConfig(env)) - 130_000;
    const slowLane = holdingQueue();
    const run = consume(tasks, { queue: MAIN_LANE, now: startedAt, env: { ...env, SLOW_DELIVERIES: slowLane.queue } });
    await requestsArrived(name, 2);
    await sleep(SLOW_ANSWER_MS + 300);
    await release(name);
    await run;
    const forwarded = slowLane.sent.flatMap((body) => tasksOf(body)!.map((t) => t.delivery_id));
    expect(forwarded.length).toBeGreaterThan(0);

    expect((await rearmedAt(startedAt + 130_000 + 60_000)).filter((d) => forwarded.includes(d))).toEqual([]);
  }, 20_000);
});

describe("kind: a one-off webhook_url delivery whose receiver was slow retries in the slow lane", () => {
  it(`a one-off delivery whose request ran ${SLOW_ANSWER_MS} ms or longer in the main lane comes back through the slow queue, not the main one`, async () => {
    const { id } = await newTenant();
    const name = bucket();
    const { message, tasks } = await enqueueHeld(id, { event: "document.predicted", payload: {}, webhook_url: `${receiverUrl()}/hold/1/${name}` });
    const deliveryId = message.deliveries[0]!.id;

    const run = consumeInMainLane(tasks);
    await requestsArrived(name, 1);
    await sleep(SLOW_ANSWER_MS + 300);
    await release(name, 500);
    const { result, forwarded, delays } = await run;

    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "retrying", attempts: 1 });
    expect(result.retryMessages).toEqual([]);
    expect(forwarded).toEqual([deliveryId]);
    expect(delays[0]).toBeGreaterThan(0);
  });
});
