import { describe, expect, it } from "vitest";
import { apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl, release, requestsArrived } from "./support/api";
import { shardOf } from "./support/shards";
import { consume, deliveryRow, enqueueHeld } from "./support/worker";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Enqueues `count` messages to the tenant's endpoints with the queue held back; returns their delivery ids and queue messages. */
async function enqueueMany(tenantId: string, count: number) {
  const deliveryIds: string[] = [];
  const tasks: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const { message, tasks: sent } = await enqueueHeld(tenantId, { event: "document.predicted", payload: { n: i } });
    deliveryIds.push(...message.deliveries.map((d) => d.id));
    tasks.push(...sent);
  }
  return { deliveryIds, tasks };
}

/**
 * Plays Queues: consumes the messages that are due as one batch, brings back each retried message
 * after the delay the consumer asked for, and stops when none is left.
 */
async function deliverThroughQueue(tasks: unknown[]): Promise<void> {
  let queue = tasks.map((task) => ({ task, dueAt: Date.now() }));
  while (queue.length > 0) {
    const now = Date.now();
    const due = queue.filter((q) => q.dueAt <= now);
    if (due.length === 0) {
      await sleep(Math.min(...queue.map((q) => q.dueAt)) - now);
      continue;
    }
    queue = queue.filter((q) => q.dueAt > now);
    const { result, ids } = await consume(due.map((d) => d.task));
    for (const r of result.retryMessages) queue.push({ task: due[ids.indexOf(r.msgId)]!.task, dueAt: Date.now() + (r.delaySeconds ?? 0) * 1000 });
  }
}

describe("kind: a slow receiver never delays or leaves unrecorded another endpoint's deliveries in the same batch", () => {
  it("deliveries to a healthy endpoint are sent and recorded while a hanging endpoint's requests in the same batch are still open", async () => {
    const hanging = await newTenant();
    const healthy = await newTenant();
    const healthyBucket = bucket();
    await newEndpoint(hanging.id, { url: `${receiverUrl()}/hang/${bucket()}`, timeout_ms: 4_000, retry: { max_attempts: 1 } });
    await newEndpoint(healthy.id, { url: `${receiverUrl()}/ok/${healthyBucket}` });
    const stuck = await enqueueMany(hanging.id, 12);
    const fine = await enqueueMany(healthy.id, 30);

    const started = Date.now();
    let batchEnded = false;
    const batch = consume([...stuck.tasks, ...fine.tasks]).finally(() => (batchEnded = true));
    const healthyShard = await shardOf(healthy.id);
    await eventually(async () => {
      const succeeded = await healthyShard.prepare("SELECT count(*) AS n FROM deliveries WHERE tenant_id = ? AND status = 'succeeded'").bind(healthy.id).first("n");
      return succeeded === fine.deliveryIds.length;
    });
    const recordedAfter = Date.now() - started;
    const endedBeforeRecorded = batchEnded;
    await batch;

    expect(await received(healthyBucket)).toHaveLength(30);
    expect(endedBeforeRecorded).toBe(false);
    expect(recordedAfter).toBeLessThan(3_000);
  });

  it("after a send to an endpoint times out, the batch sends none of that endpoint's other deliveries and gives them back without an attempt counted", async () => {
    const { id } = await newTenant();
    const hangBucket = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/hang/${hangBucket}`, timeout_ms: 1_000 });
    const { deliveryIds, tasks } = await enqueueMany(id, 12);

    const { result } = await consume(tasks);

    const rows = await Promise.all(deliveryIds.map(deliveryRow));
    const attempted = rows.filter((row) => row!.attempts === 1);
    expect(attempted.length).toBeGreaterThan(0);
    expect(attempted.length).toBeLessThanOrEqual(6);
    expect(rows.filter((row) => row!.attempts === 0 && row!.status === "pending")).toHaveLength(12 - attempted.length);
    expect(result.retryMessages).toHaveLength(12);
  });
});

describe("kind: an endpoint's rate limit and in-flight cap hold across consumer batches", () => {
  it("60 messages to an endpoint limited to 10 per second arrive over at least 5.5 s, each on its first attempt, none lost", async () => {
    const { id } = await newTenant();
    const limited = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${limited}`, rate_limit: { per_second: 10 } });
    const { deliveryIds, tasks } = await enqueueMany(id, 60);

    await deliverThroughQueue(tasks);

    const arrivals = (await received(limited)).map((r) => r.at);
    expect(arrivals).toHaveLength(60);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThanOrEqual(5_500);
    for (const id of deliveryIds) expect(await deliveryRow(id)).toMatchObject({ status: "succeeded", attempts: 1 });
  }, 60_000);

  it("an endpoint with max_in_flight 1 never has two requests open at once, even from two batches running together", async () => {
    const { id } = await newTenant();
    const held = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/hold/100/${held}`, max_in_flight: 1 });
    const first = await enqueueMany(id, 3);
    const second = await enqueueMany(id, 3);

    const batches = [consume(first.tasks), consume(second.tasks)];
    await requestsArrived(held, 1);
    await sleep(500);
    const openAtOnce = (await received(held)).length;
    await release(held);
    await requestsArrived(held, 2);
    await sleep(500);
    const openAfterOneEnded = (await received(held)).length;
    await release(held);
    await requestsArrived(held, 3);
    await release(held);
    await Promise.all(batches);

    expect(openAtOnce).toBe(1);
    expect(openAfterOneEnded).toBe(2);
  });

  it("an endpoint's limits can be set, read back and cleared through the API", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://example.com/hook", rate_limit: { per_second: 5 }, max_in_flight: 3 });
    expect(endpoint).toMatchObject({ rate_limit: { per_second: 5, burst: 1 }, max_in_flight: 3 });

    const cleared = await apiJson("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { rate_limit: null, max_in_flight: null } });
    expect(cleared.body).toMatchObject({ rate_limit: null, max_in_flight: null });
  });

  it.each([
    ["a rate of 0 per second", { rate_limit: { per_second: 0 } }, "rate_limit.per_second"],
    ["a rate above 500 per second", { rate_limit: { per_second: 501 } }, "rate_limit.per_second"],
    ["an unknown rate field", { rate_limit: { per_second: 5, per_minute: 2 } }, "rate_limit"],
    ["an in-flight cap of 0", { max_in_flight: 0 }, "max_in_flight"],
  ])("an endpoint with %s is a 400 naming the field", async (_, fields, path) => {
    const { id } = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${id}/endpoints`, { body: { url: "https://example.com/hook", ...fields } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });
});
