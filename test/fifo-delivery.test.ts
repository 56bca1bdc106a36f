import { describe, expect, it } from "vitest";
import { HOLD_POLL_SECONDS } from "../src/delivery/fifo";
import { tasksOf, type DeliveryTask } from "../src/delivery/task";
import { apiJson, bucket, newEndpoint, newTenant, received, receiverUrl, release, requestsArrived } from "./support/api";
import { env } from "cloudflare:test";
import { cancelUnattemptedDeliveries } from "../src/db/messages";
import { shardOf } from "./support/shards";
import { apiHeld, consume as consumeBatch, deliveryRow, holdingQueue, replayHeld, sweepHeld } from "./support/worker";

// Issue 26: FIFO endpoints and ordering keys (CONTRACT.md, Delivery control), end to end against
// the real receiver. Each consume() is one consumer batch; a held delivery comes back in the next.

type Enqueued = { id: string; deliveries: Array<{ id: string }> };

/** A tenant with one FIFO endpoint posting to `path` of the receiver (`ok`, `fail/N`), and its bucket. */
async function fifoEndpoint(path = "ok", fields: Record<string, unknown> = {}) {
  const tenant = await newTenant();
  const name = bucket();
  const endpoint = await newEndpoint(tenant.id, { url: `${receiverUrl()}/${path}/${name}`, ordering: "fifo", retry: { schedule: [1] }, ...fields });
  return { tenantId: tenant.id, endpointId: endpoint.id as string, name };
}

/**
 * Enqueues `items` in one batch request with the queue held back: the messages in order and their
 * deliveries, one queue message each (the API packs them; the consumer takes either form), so a
 * test can feed them to the consumer in any order and any grouping.
 */
async function enqueueBatch(tenantId: string, items: Array<Record<string, unknown>>) {
  const { res, tasks } = await apiHeld("POST", `/v1/tenants/${tenantId}/messages/batch`, {
    messages: items.map((item) => ({ event: "order.updated", ...item })),
  });
  expect(res.status).toBe(202);
  const body = (await res.json()) as { messages: Enqueued[] };
  return { messages: body.messages, tasks: tasks.flatMap((t) => tasksOf(t)!) };
}

/**
 * One consumer batch with both delivery queues held back. `woken` is what the batch queued itself (the
 * wake of a FIFO order's next delivery); `retried` is what Queues would bring back and then the wakes,
 * to feed a later batch.
 */
async function consume(tasks: unknown[], options: Parameters<typeof consumeBatch>[1] = {}) {
  const held = holdingQueue();
  const batch = await consumeBatch(tasks, { ...options, env: { ...env, DELIVERIES: held.queue, SLOW_DELIVERIES: held.queue } });
  return { ...batch, woken: held.sent, retried: [...batch.retried, ...held.sent] };
}

/** The payloads the receiver got, in the order it got them. */
async function payloadsReceived(name: string): Promise<unknown[]> {
  return (await received(name)).map((r) => JSON.parse(r.body));
}

/** The queue message of one delivery. */
const taskOf = (tasks: DeliveryTask[], message: Enqueued) => tasks.find((t) => t.delivery_id === message.deliveries[0]!.id)!;

/** Feeds `tasks` to the consumer batch after batch (as if each came back due) until none comes back; the number of requests each batch sent. */
async function drain(tasks: unknown[], name: string): Promise<number[]> {
  const sentPerBatch: number[] = [];
  let seen = 0;
  for (let left = tasks, round = 0; left.length > 0 && round < 20; round++) {
    left = (await consume(left, { now: Date.now() + round * 5_000 })).retried;
    const now = (await received(name)).length;
    sentPerBatch.push(now - seen);
    seen = now;
  }
  return sentPerBatch;
}

describe("FIFO endpoints", () => {
  it("an endpoint is created without ordering unless asked, and can be made FIFO with PATCH", async () => {
    const tenant = await newTenant();
    const created = await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${bucket()}` });
    expect(created.ordering).toBe("none");
    const patched = await apiJson("PATCH", `/v1/tenants/${tenant.id}/endpoints/${created.id}`, { body: { ordering: "fifo" } });
    expect(patched.status).toBe(200);
    expect(patched.body.ordering).toBe("fifo");
    expect((await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints/${created.id}`)).body.ordering).toBe("fifo");
  });

  it("an ordering other than none or fifo is a 400 naming ordering, and no endpoint is stored", async () => {
    const tenant = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${tenant.id}/endpoints`, { body: { url: `${receiverUrl()}/ok/x`, ordering: "lifo" } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["ordering"]);
    expect((await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints`)).body.data).toEqual([]);
  });

  it("an ordering_key longer than 128 characters is a 400 naming it, on the single and the batch route", async () => {
    const { tenantId } = await fifoEndpoint();
    const single = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "x", payload: 1, ordering_key: "k".repeat(129) } });
    expect(single.status).toBe(400);
    expect(single.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["ordering_key"]);
    const batch = await apiJson("POST", `/v1/tenants/${tenantId}/messages/batch`, {
      body: { messages: [{ event: "x", payload: 1, ordering_key: "k".repeat(128) }, { event: "x", payload: 2, ordering_key: "k".repeat(129) }] },
    });
    expect(batch.status).toBe(400);
    expect(batch.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["messages.1.ordering_key"]);
  });

  it("deliveries of N messages go one at a time and arrive in enqueue order, however their queue messages come", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const { tasks } = await enqueueBatch(tenantId, [1, 2, 3, 4, 5].map((n) => ({ payload: { n } })));
    const sentPerBatch = await drain([...tasks].reverse(), name);
    expect(sentPerBatch).toEqual([1, 1, 1, 1, 1]);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]);
  });

  it("messages enqueued one by one keep the order in which they were enqueued", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const tasks: unknown[] = [];
    for (const n of [1, 2, 3]) {
      const { res, tasks: sent } = await apiHeld("POST", `/v1/tenants/${tenantId}/messages`, { event: "x", payload: { n } });
      expect(res.status).toBe(202);
      tasks.unshift(...sent.flatMap((t) => tasksOf(t)!));
    }
    await drain(tasks, name);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it("while the head is retrying, later deliveries wait with no attempt counted, then go in order once it succeeds", async () => {
    const { tenantId, name } = await fifoEndpoint("fail/1");
    const { messages, tasks } = await enqueueBatch(tenantId, [1, 2, 3].map((n) => ({ payload: { n } })));
    const first = await consume(tasks);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }]);
    expect((await deliveryRow(messages[0]!.deliveries[0]!.id))!.status).toBe("retrying");
    for (const later of messages.slice(1)) {
      const row = (await deliveryRow(later.deliveries[0]!.id))!;
      expect([row.status, row.attempts]).toEqual(["pending", 0]);
    }
    expect(first.retried).toHaveLength(3);
    await drain(first.retried, name);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 1 }, { n: 2 }, { n: 3 }]);
    for (const m of messages) expect((await deliveryRow(m.deliveries[0]!.id))!.status).toBe("succeeded");
  });

  it("a held delivery comes back once its head's retry is due, not before", async () => {
    const { tenantId } = await fifoEndpoint("fail/1", { retry: { schedule: [600] } });
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: 1 }, { payload: 2 }]);
    await consume([taskOf(tasks, messages[0]!)]);
    const held = await consume([taskOf(tasks, messages[1]!)]);
    const [wait] = held.result.retryMessages.map((r) => r.delaySeconds!);
    expect(wait).toBeGreaterThan(595);
    expect(wait).toBeLessThanOrEqual(603);
  });

  it("a head that fails for good releases the next delivery, which waited until then", async () => {
    const { tenantId, name } = await fifoEndpoint("fail/2", { retry: { max_attempts: 2, schedule: [1] } });
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    expect(await drain(tasks, name)).toEqual([1, 1, 1]);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 1 }, { n: 2 }]);
    expect((await deliveryRow(messages[0]!.deliveries[0]!.id))!.status).toBe("failed");
    expect((await deliveryRow(messages[1]!.deliveries[0]!.id))!.status).toBe("succeeded");
  });

  it("cancelling a head scheduled for later queues the next delivery at once, on a new queue chain", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 }, delay_seconds: 3_600 }, { payload: { n: 2 } }]);
    const next = taskOf(tasks, messages[1]!);
    expect((await consume([next])).retried).toHaveLength(1);
    expect(await received(name)).toEqual([]);
    const cancel = await apiHeld("POST", `/v1/tenants/${tenantId}/messages/${messages[0]!.id}/cancel`);
    expect(cancel.res.status).toBe(200);
    expect(cancel.tasks.map((t) => t.delivery_id)).toEqual([next.delivery_id]);
    expect(cancel.tasks[0]!.token).not.toBe(next.token);
    expect(cancel.delays).toEqual([undefined]);
    await consume(cancel.tasks);
    expect(await payloadsReceived(name)).toEqual([{ n: 2 }]);
  });

  it("two cancels of a scheduled head within the same millisecond wake the next delivery once", async () => {
    const { tenantId } = await fifoEndpoint();
    const { messages } = await enqueueBatch(tenantId, [{ payload: { n: 1 }, delay_seconds: 3_600 }, { payload: { n: 2 } }]);
    const db = await shardOf(tenantId);
    const now = Date.now();
    const [first, second] = await Promise.all([0, 1].map(() => cancelUnattemptedDeliveries(db, tenantId, messages[0]!.id, now)));
    expect([first!.woken, second!.woken].flat().map((w) => w.delivery_id)).toEqual([messages[1]!.deliveries[0]!.id]);
  });

  it("the next delivery's held message is acked unsent once the cancel has queued it afresh", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 }, delay_seconds: 3_600 }, { payload: { n: 2 } }]);
    const held = await consume([taskOf(tasks, messages[1]!)]);
    const cancel = await apiHeld("POST", `/v1/tenants/${tenantId}/messages/${messages[0]!.id}/cancel`);
    await consume(cancel.tasks);
    const stale = await consume(held.retried);
    expect(stale.retried).toEqual([]);
    expect(await payloadsReceived(name)).toEqual([{ n: 2 }]);
  });

  it("cancelling a message whose delivery waits behind the head queues nothing", async () => {
    const { tenantId } = await fifoEndpoint();
    const { messages } = await enqueueBatch(tenantId, [{ payload: { n: 1 }, delay_seconds: 3_600 }, { payload: { n: 2 } }, { payload: { n: 3 } }]);
    const cancel = await apiHeld("POST", `/v1/tenants/${tenantId}/messages/${messages[1]!.id}/cancel`);
    expect(cancel.res.status).toBe(200);
    expect((await deliveryRow(messages[1]!.deliveries[0]!.id))!.status).toBe("cancelled");
    expect(cancel.tasks).toEqual([]);
  });

  it("cancelling a scheduled head queues nothing when the next delivery is itself scheduled for later", async () => {
    const { tenantId } = await fifoEndpoint();
    const { messages } = await enqueueBatch(tenantId, [{ payload: { n: 1 }, delay_seconds: 3_600 }, { payload: { n: 2 }, delay_seconds: 600 }]);
    const cancel = await apiHeld("POST", `/v1/tenants/${tenantId}/messages/${messages[0]!.id}/cancel`);
    expect(cancel.res.status).toBe(200);
    expect(cancel.tasks).toEqual([]);
    expect((await deliveryRow(messages[1]!.deliveries[0]!.id))!.status).toBe("scheduled");
  });

  it("cancelling a scheduled head still succeeds when the queue refuses the next delivery", async () => {
    const { tenantId } = await fifoEndpoint();
    const { messages } = await enqueueBatch(tenantId, [{ payload: { n: 1 }, delay_seconds: 3_600 }, { payload: { n: 2 } }]);
    const cancel = await apiHeld("POST", `/v1/tenants/${tenantId}/messages/${messages[0]!.id}/cancel`, undefined, { failQueue: true });
    expect(cancel.res.status).toBe(200);
    expect(((await cancel.res.json()) as { deliveries: Array<{ status: string }> }).deliveries.map((d) => d.status)).toEqual(["cancelled"]);
    expect(cancel.queueCalls).toBe(1);
  });

  it("two ordering keys do not hold each other: one key's retrying head leaves the other key's deliveries going", async () => {
    const { tenantId, name } = await fifoEndpoint("fail/1");
    const { messages, tasks } = await enqueueBatch(tenantId, [
      { payload: { key: "a", n: 1 }, ordering_key: "a" },
      { payload: { key: "b", n: 1 }, ordering_key: "b" },
      { payload: { key: "a", n: 2 }, ordering_key: "a" },
      { payload: { key: "b", n: 2 }, ordering_key: "b" },
    ]);
    await consume([taskOf(tasks, messages[0]!)]);
    const next = await consume(messages.slice(1).map((m) => taskOf(tasks, m)));
    await consume(next.retried);
    expect(await payloadsReceived(name)).toEqual([{ key: "a", n: 1 }, { key: "b", n: 1 }, { key: "b", n: 2 }]);
    expect((await deliveryRow(messages[2]!.deliveries[0]!.id))!.attempts).toBe(0);
  });

  it("messages without an ordering_key share one order apart from keyed ones", async () => {
    const { tenantId, name } = await fifoEndpoint("fail/1");
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 }, ordering_key: "k" }, { payload: { n: 3 } }]);
    await consume([taskOf(tasks, messages[0]!)]);
    await consume([taskOf(tasks, messages[1]!), taskOf(tasks, messages[2]!)]);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }]);
    expect((await deliveryRow(messages[2]!.deliveries[0]!.id))!.attempts).toBe(0);
  });

  it("an endpoint without ordering sends a later message while an earlier one is retrying", async () => {
    const { tenantId, name } = await fifoEndpoint("fail/1", { ordering: "none" });
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    await consume([taskOf(tasks, messages[0]!)]);
    await consume([taskOf(tasks, messages[1]!)]);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("a replay of the retrying head resends it now and it keeps its place: later deliveries still wait for it", async () => {
    const { tenantId, name } = await fifoEndpoint("fail/2", { retry: { schedule: [600] } });
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    await consume([taskOf(tasks, messages[0]!)]);
    const replay = await replayHeld(tenantId, messages[0]!.deliveries[0]!.id);
    await consume([replay, taskOf(tasks, messages[1]!)]);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 1 }]);
    expect((await deliveryRow(messages[1]!.deliveries[0]!.id))!.attempts).toBe(0);
  });

  it("a replay of a delivery that already succeeded goes outside the order: it holds no message enqueued after it", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    await drain(tasks, name);
    const replay = await replayHeld(tenantId, messages[0]!.deliveries[0]!.id);
    const { tasks: later } = await enqueueBatch(tenantId, [{ payload: { n: 3 } }]);
    await consume(later);
    await consume([replay]);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 1 }]);
  });
});

describe("FIFO endpoints at their edges", () => {
  it("two messages enqueued at the same moment take distinct places and are delivered in the order of their places", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const sent = await Promise.all(
      [1, 2].map((n) => apiHeld("POST", `/v1/tenants/${tenantId}/messages`, { event: "x", payload: { n } })),
    );
    const ids = await Promise.all(sent.map(async ({ res }) => ((await res.json()) as Enqueued).deliveries[0]!.id));
    const places = await Promise.all(ids.map(async (id) => (await deliveryRow(id))!.fifo_seq as number));
    expect(new Set(places).size).toBe(2);
    await drain(sent.flatMap(({ tasks }) => tasks.flatMap((t) => tasksOf(t)!)).reverse(), name);
    const byPlace = [1, 2].sort((a, b) => places[a - 1]! - places[b - 1]!).map((n) => ({ n }));
    expect(await payloadsReceived(name)).toEqual(byPlace);
  });

  it("in a batch request that interleaves keys, each key's messages arrive in item order", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const items = [["a", 1], ["b", 1], ["a", 2], ["c", 1], ["a", 3], ["b", 2]] as const;
    const { tasks } = await enqueueBatch(tenantId, items.map(([key, n]) => ({ payload: { key, n }, ordering_key: key })));
    await drain([...tasks].reverse(), name);
    const got = (await payloadsReceived(name)) as Array<{ key: string; n: number }>;
    for (const key of ["a", "b", "c"]) expect(got.filter((p) => p.key === key).map((p) => p.n)).toEqual(items.filter(([k]) => k === key).map(([, n]) => n));
  });

  it("an ordering_key containing a NUL character is an order of its own, apart from the key cut at the NUL", async () => {
    const { tenantId, name } = await fifoEndpoint("fail/1");
    const { messages, tasks } = await enqueueBatch(tenantId, [
      { payload: { n: 1 }, ordering_key: "a" },
      { payload: { n: 2 }, ordering_key: "a\u0000b" },
    ]);
    await consume([taskOf(tasks, messages[0]!)]);
    await consume([taskOf(tasks, messages[1]!)]);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("an ordering_key of 128 characters outside the basic plane is accepted, and 129 of them are a 400", async () => {
    const { tenantId } = await fifoEndpoint();
    const ok = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "x", payload: 1, ordering_key: "😀".repeat(128) } });
    expect(ok.status).toBe(202);
    const long = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "x", payload: 1, ordering_key: "😀".repeat(129) } });
    expect(long.status).toBe(400);
  });

  it("cancelling the message at the head after its first attempt leaves the head retrying, and the order waits for it", async () => {
    const { tenantId, name } = await fifoEndpoint("fail/1", { retry: { schedule: [600] } });
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    await consume([taskOf(tasks, messages[0]!)]);
    expect((await apiJson("POST", `/v1/tenants/${tenantId}/messages/${messages[0]!.id}/cancel`)).status).toBe(200);
    expect((await deliveryRow(messages[0]!.deliveries[0]!.id))!.status).toBe("retrying");
    const held = await consume([taskOf(tasks, messages[1]!)]);
    expect(held.retried).toHaveLength(1);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }]);
  });

  it("cancelling the message at the head while its first request is on its way does not send the next delivery before that request ends", async () => {
    const { tenantId, name } = await fifoEndpoint("hold/1");
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    const headBatch = consume([taskOf(tasks, messages[0]!)]);
    await requestsArrived(name, 1);
    expect((await apiJson("POST", `/v1/tenants/${tenantId}/messages/${messages[0]!.id}/cancel`)).status).toBe(200);
    const next = await consume([taskOf(tasks, messages[1]!)]);
    const sentMeanwhile = (await received(name)).length;
    await release(name);
    await headBatch;
    expect(next.retried).toHaveLength(1);
    expect(sentMeanwhile).toBe(1);
  });

  it("cancelling the message at a head that is due leaves the head pending, and it is delivered before the next", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    expect((await apiJson("POST", `/v1/tenants/${tenantId}/messages/${messages[0]!.id}/cancel`)).status).toBe(200);
    expect((await deliveryRow(messages[0]!.deliveries[0]!.id))!.status).toBe("pending");
    await drain([...tasks].reverse(), name);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("cancelling a message whose delivery waits behind a due head cancels it, and the order goes on without it", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const { messages, tasks } = await enqueueBatch(tenantId, [1, 2, 3].map((n) => ({ payload: { n } })));
    expect((await apiJson("POST", `/v1/tenants/${tenantId}/messages/${messages[1]!.id}/cancel`)).status).toBe(200);
    expect((await deliveryRow(messages[1]!.deliveries[0]!.id))!.status).toBe("cancelled");
    expect((await deliveryRow(messages[0]!.deliveries[0]!.id))!.status).toBe("pending");
    await drain([...tasks].reverse(), name);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it("a delivery held behind a head whose endpoint was then disabled is cancelled when it comes back, not held", async () => {
    const { tenantId, endpointId, name } = await fifoEndpoint("fail/1", { retry: { schedule: [600] } });
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    await consume([taskOf(tasks, messages[0]!)]);
    const held = await consume([taskOf(tasks, messages[1]!)]);
    expect(held.retried).toHaveLength(1);
    expect((await apiJson("PATCH", `/v1/tenants/${tenantId}/endpoints/${endpointId}`, { body: { enabled: false } })).status).toBe(200);
    const back = await consume(held.retried);
    expect(back.retried).toEqual([]);
    expect((await deliveryRow(messages[1]!.deliveries[0]!.id))!.status).toBe("cancelled");
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }]);
  });

  it("a replay of a delivery held behind the head keeps it behind the head, with no attempt counted", async () => {
    const { tenantId, name } = await fifoEndpoint("fail/1", { retry: { schedule: [600] } });
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    await consume([taskOf(tasks, messages[0]!)]);
    const replay = await replayHeld(tenantId, messages[1]!.deliveries[0]!.id);
    const back = await consume([replay]);
    expect(back.retried).toHaveLength(1);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }]);
    expect((await deliveryRow(messages[1]!.deliveries[0]!.id))!.attempts).toBe(0);
  });

  it("an endpoint made none sends a delivery that was held behind its retrying head when it comes back", async () => {
    const { tenantId, endpointId, name } = await fifoEndpoint("fail/1", { retry: { schedule: [600] } });
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    await consume([taskOf(tasks, messages[0]!)]);
    const held = await consume([taskOf(tasks, messages[1]!)]);
    expect((await apiJson("PATCH", `/v1/tenants/${tenantId}/endpoints/${endpointId}`, { body: { ordering: "none" } })).status).toBe(200);
    await consume(held.retried);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("after an endpoint is made none, a replay of a delivery held behind its retrying head sends it at once", async () => {
    const { tenantId, endpointId, name } = await fifoEndpoint("fail/1", { retry: { schedule: [600] } });
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    await consume([taskOf(tasks, messages[0]!)]);
    await consume([taskOf(tasks, messages[1]!)]);
    expect((await apiJson("PATCH", `/v1/tenants/${tenantId}/endpoints/${endpointId}`, { body: { ordering: "none" } })).status).toBe(200);
    await consume([await replayHeld(tenantId, messages[1]!.deliveries[0]!.id)]);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("a head whose queue message was lost is re-armed by the sweeper, and the delivery held behind it goes after it", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    const held = await consume([taskOf(tasks, messages[1]!)]);
    expect(held.retried).toHaveLength(1);
    const ours = new Set(messages.map((m) => m.deliveries[0]!.id));
    const rearmed = (await sweepHeld(Date.now() + 10 * 60_000)).flatMap((t) => tasksOf(t)!).filter((t) => ours.has(t.delivery_id));
    expect(rearmed.map((t) => t.delivery_id).sort()).toEqual([...ours].sort());
    await drain([...rearmed].reverse(), name);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

describe("FIFO wake: an order moves as fast as its receiver answers", () => {
  it("a backlog of 20 in one order goes in order, each delivery sent in the batch right after its head's, moved by the wake alone", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const numbers = Array.from({ length: 20 }, (_, i) => i + 1);
    const { tasks } = await enqueueBatch(tenantId, numbers.map((n) => ({ payload: { n } })));
    let { woken } = await consume(tasks);
    const sentPerBatch = [(await received(name)).length];
    const queueMessagesHandled = [tasks.length];
    while (woken.length > 0) {
      queueMessagesHandled.push(woken.length);
      woken = (await consume(woken)).woken;
      sentPerBatch.push((await received(name)).length - sentPerBatch.reduce((a, b) => a + b, 0));
    }
    expect(sentPerBatch).toEqual(numbers.map(() => 1));
    expect(await payloadsReceived(name)).toEqual(numbers.map((n) => ({ n })));
    expect(queueMessagesHandled.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2 * numbers.length);
  });

  it("the held message of a woken delivery comes back stale and is acked without a send", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const { messages, tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    const first = await consume(tasks);
    expect(first.woken.map((t) => (t as DeliveryTask).delivery_id)).toEqual([messages[1]!.deliveries[0]!.id]);
    const stale = await consume([taskOf(tasks, messages[1]!)]);
    expect(stale.result.retryMessages).toEqual([]);
    expect(stale.result.explicitAcks).toHaveLength(1);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }]);
    await consume(first.woken);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("a wake message that comes twice sends its delivery once", async () => {
    const { tenantId, name } = await fifoEndpoint();
    const { tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    const { woken } = await consume(tasks);
    await consume(woken);
    await consume(woken);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("a head that is retrying wakes nothing: the deliveries behind it keep waiting", async () => {
    const { tenantId, name } = await fifoEndpoint("fail/1");
    const { tasks } = await enqueueBatch(tenantId, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    const first = await consume(tasks);
    expect(first.woken).toEqual([]);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }]);
  });

  it("a delivery further behind a head in flight is asked about less often: the short poll once per place behind", async () => {
    const { tenantId } = await fifoEndpoint();
    const { messages, tasks } = await enqueueBatch(tenantId, [1, 2, 3, 4].map((n) => ({ payload: { n } })));
    const held = await consume(messages.slice(1).map((m) => taskOf(tasks, m)));
    expect(held.result.retryMessages.map((r) => r.delaySeconds)).toEqual([HOLD_POLL_SECONDS, 2 * HOLD_POLL_SECONDS, 3 * HOLD_POLL_SECONDS]);
  });
});

describe("FIFO endpoints with a rate limit and an in-flight cap", () => {
  it("a FIFO endpoint limited to one request at a time and 50 a second still gets its messages once each, in enqueue order", async () => {
    const { tenantId, endpointId, name } = await fifoEndpoint("ok", { rate_limit: { per_second: 50, burst: 1 }, max_in_flight: 1 });
    const { tasks } = await enqueueBatch(tenantId, [1, 2, 3, 4].map((n) => ({ payload: { n } })));
    await drain([...tasks].reverse(), name);
    expect(await payloadsReceived(name)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    const listed = await apiJson("GET", `/v1/tenants/${tenantId}/deliveries?endpoint_id=${endpointId}`);
    expect(listed.body.data.map((d: { status: string; attempt_count: number }) => [d.status, d.attempt_count])).toEqual(Array(4).fill(["succeeded", 1]));
  });
});
