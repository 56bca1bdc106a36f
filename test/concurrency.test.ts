import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BATCH_LIFETIME_MS, SECRET_READ_BOUND_MS, SEND_BUDGET_MS } from "../src/delivery/claim";
import { forgetCachedSecrets } from "../src/secrets";
import type { DeliveryTask } from "../src/delivery/task";
import { api, apiJson, bucket, newEndpoint, newTenant, received, receiverUrl, release, requestsArrived } from "./support/api";
import { consume, deliveryRow, enqueueHeld, replayHeld, sweepHeld } from "./support/worker";

// Races between the consumer, the sweeper, replays and tenant deletion, driven step by step: the
// receiver holds requests until the test releases them, the consumer runs on a clock the test
// moves, and the sweeper runs at the times the test picks.

afterEach(() => vi.restoreAllMocks());

/** Enqueues `count` messages for a tenant with the queue held back; returns one delivery and its task per message. */
async function enqueueMany(tenantId: string, count: number) {
  const held = [];
  for (let i = 0; i < count; i++) {
    const { message, tasks } = await enqueueHeld(tenantId, { event: "x", payload: { n: i } });
    held.push({ deliveryId: message.deliveries[0]!.id, task: tasks[0]! });
  }
  return held;
}

/** A tenant with one endpoint at the receiver path `{receiverPath}/{bucket}` and one message held for the consumer. */
async function heldDelivery(receiverPath: string) {
  const { id } = await newTenant();
  const name = bucket();
  await newEndpoint(id, { url: `${receiverUrl()}/${receiverPath}/${name}` });
  const [delivery] = await enqueueMany(id, 1);
  return { tenantId: id, bucket: name, ...delivery! };
}

/** A clock the test moves by hand, starting now. */
function handClock() {
  const start = Date.now();
  let now = start;
  return { start, read: () => now, set: (at: number) => (now = at) };
}

/** The attempt numbers a delivery shows through the API, in order, and its attempt count. */
async function attemptsOf(tenantId: string, deliveryId: string) {
  const { body } = await apiJson("GET", `/v1/tenants/${tenantId}/deliveries/${deliveryId}`);
  return {
    numbers: (body.attempts as Array<{ attempt: number }>).map((a) => a.attempt).sort((a, b) => a - b),
    count: body.attempt_count as number,
    status: body.status as string,
    lastStatusCode: body.last_status_code as number | null,
  };
}

describe("kind: a sweep never re-arms a delivery that a running batch may still send", () => {
  it("with SWEEP_STUCK_AFTER_SECONDS=30, sweeps during a batch stuck on a hanging receiver send no message twice", async () => {
    const envWithFastSweeps = { ...env, SWEEP_STUCK_AFTER_SECONDS: "30" } as Env;
    const slowTenant = await newTenant();
    const healthyTenant = await newTenant();
    const slow = bucket();
    const healthy = bucket();
    await newEndpoint(slowTenant.id, { url: `${receiverUrl()}/hold/100/${slow}`, retry: { max_attempts: 1 }, timeout_ms: 30_000 });
    await newEndpoint(healthyTenant.id, { url: `${receiverUrl()}/ok/${healthy}` });
    // Six slow deliveries take every connection of the batch; the healthy ones queue behind them.
    const slowOnes = await enqueueMany(slowTenant.id, 6);
    const healthyOnes = await enqueueMany(healthyTenant.id, 4);
    const clock = handClock();

    const batch = consume([...slowOnes, ...healthyOnes].map((d) => d.task), { clock: clock.read, env: envWithFastSweeps });
    await requestsArrived(slow, 6);
    const rearmed: DeliveryTask[] = [];
    for (const at of [clock.start + 60_000, clock.start + BATCH_LIFETIME_MS]) {
      clock.set(at);
      rearmed.push(...(await sweepHeld(at, envWithFastSweeps)));
    }
    await release(slow, 504);
    const first = await batch;
    // The batch outlived its send budget: the healthy deliveries come back from the queue, unsent.
    const second = await consume([...first.retried, ...rearmed], { env: envWithFastSweeps });
    await consume(second.retried, { env: envWithFastSweeps });

    expect(rearmed).toEqual([]);
    expect(await received(slow)).toHaveLength(6);
    expect((await received(healthy)).map((r) => r.body).sort()).toEqual(['{"n":0}', '{"n":1}', '{"n":2}', '{"n":3}']);
    for (const d of healthyOnes) expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "succeeded", attempts: 1 });
    for (const d of slowOnes) expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "failed", attempts: 1 });
  });

  it("a batch that picks a delivery up late renews its claim, so sweeps at 310 s and 370 s send it once", async () => {
    const d = await heldDelivery("hold/1");
    const enqueuedAt = (await deliveryRow(d.deliveryId))!.enqueued_at as number;
    const clock = handClock();
    clock.set(enqueuedAt + 250_000); // a queue backlog: the message reaches a consumer after 250 s

    const batch = consume([d.task], { clock: clock.read });
    await requestsArrived(d.bucket, 1);
    clock.set(enqueuedAt + 310_000);
    const rearmed = await sweepHeld(enqueuedAt + 310_000);
    await release(d.bucket, 200);
    await batch;
    rearmed.push(...(await sweepHeld(enqueuedAt + 370_000)));
    await consume(rearmed);

    expect(rearmed).toEqual([]);
    expect(await received(d.bucket)).toHaveLength(1);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("a batch starts no send after its send budget and gives the rest back to the queue without counting an attempt", async () => {
    const { id } = await newTenant();
    const slow = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/hold/6/${slow}` });
    const heldTasks = [];
    for (let i = 0; i < 6; i++) heldTasks.push((await enqueueHeld(id, { event: "held", payload: i })).tasks[0]!);
    const { message, tasks: lateTasks } = await enqueueHeld(id, { event: "late", payload: "late" });
    const clock = handClock();

    const batch = consume([...heldTasks, ...lateTasks], { clock: clock.read });
    await requestsArrived(slow, 6);
    clock.set(clock.start + SEND_BUDGET_MS);
    await release(slow, 200);
    const { result, retried } = await batch;

    expect(await received(slow)).toHaveLength(6);
    expect(result.retryMessages).toEqual([expect.objectContaining({ delaySeconds: 1 })]);
    expect(await deliveryRow(message.deliveries[0]!.id)).toMatchObject({ status: "pending", attempts: 0 });
    await consume(retried);
    expect(await received(slow)).toHaveLength(7);
  });

  it("a signing secret that KV never returns ends the batch after the secret bound without sending, and costs no attempt (issue 23)", async () => {
    const d = await heldDelivery("ok");
    forgetCachedSecrets();
    const silentKv = { get: () => new Promise(() => undefined) } as unknown as KVNamespace;
    vi.spyOn(console, "error").mockImplementation(() => undefined);

    const started = Date.now();
    await consume([d.task], { env: { ...env, SECRETS: silentKv } as Env });

    expect(Date.now() - started).toBeGreaterThanOrEqual(SECRET_READ_BOUND_MS);
    expect(await received(d.bucket)).toHaveLength(0);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "pending", attempts: 0 });
  });
});

describe("kind: deleting one tenant never fails or repeats another tenant's deliveries", () => {
  it("a tenant deleted while its request is in flight: the other tenant's deliveries in the same batch are recorded and acked, never sent again", async () => {
    const doomed = await newTenant();
    const other = await newTenant();
    const slow = bucket();
    const fast = bucket();
    await newEndpoint(doomed.id, { url: `${receiverUrl()}/hold/100/${slow}` });
    await newEndpoint(other.id, { url: `${receiverUrl()}/ok/${fast}` });
    const doomedOnes = await enqueueMany(doomed.id, 2);
    const otherOnes = await enqueueMany(other.id, 3);
    const tasks = [doomedOnes[0]!, otherOnes[0]!, doomedOnes[1]!, otherOnes[1]!, otherOnes[2]!].map((d) => d.task);

    const batch = consume(tasks);
    await requestsArrived(slow, 2);
    expect((await api("DELETE", `/v1/tenants/${doomed.id}`)).status).toBe(204);
    await release(slow, 200);
    const { result, ids } = await batch;
    // Had the batch failed, Queues would run it again: that must send nothing more either.
    await consume(tasks);

    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    for (const d of otherOnes) expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await received(fast)).toHaveLength(3);
    expect(await received(slow)).toHaveLength(2);
  });

  it("a tenant re-created with the same id can use the Idempotency-Keys of the deleted one at once", async () => {
    const tenantId = `reborn-${bucket()}`;
    const headers = { "idempotency-key": "job-1" };
    const create = () => apiJson("POST", "/v1/tenants", { body: { id: tenantId, name: "Reborn" } });
    await create();
    const first = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "x", payload: 1 }, headers });
    await api("DELETE", `/v1/tenants/${tenantId}`);
    await create();

    const second = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "x", payload: 1 }, headers });

    expect(second.status).toBe(202);
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    expect(second.body.id).not.toBe(first.body.id);
  });
});

describe("kind: of several queue messages for one delivery, the one carrying its live token is sent, once", () => {
  it("a stale message ahead of the live one in the same batch does not stop the live one", async () => {
    const d = await heldDelivery("ok");

    await consume([{ ...d.task, token: "0000000000000000" }, d.task]);

    expect(await received(d.bucket)).toHaveLength(1);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("two replays back to back (a double click) send the delivery once more, not zero times", async () => {
    const d = await heldDelivery("ok");
    await consume([d.task]);

    const replays = [await replayHeld(d.tenantId, d.deliveryId), await replayHeld(d.tenantId, d.deliveryId)];
    await consume(replays);

    expect(await received(d.bucket)).toHaveLength(2);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "succeeded", attempts: 2 });
  });

  it("twenty parallel replays send the delivery exactly once, however the queue batches their messages", async () => {
    const d = await heldDelivery("ok");
    await consume([d.task]);

    const replays = await Promise.all(Array.from({ length: 20 }, () => replayHeld(d.tenantId, d.deliveryId)));
    await consume(replays.slice(0, 7));
    await consume(replays.slice(7));

    expect(await received(d.bucket)).toHaveLength(2);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ status: "succeeded", attempts: 2 });
  });
});

describe("kind: attempt numbers are unique and agree with the count, and a stale batch never overwrites newer state", () => {
  it("a replay while an attempt is in flight: the two attempts are numbered 1 and 2, and the replay's success stands", async () => {
    const d = await heldDelivery("hold/1");

    const inFlight = consume([d.task]);
    await requestsArrived(d.bucket, 1);
    await consume([await replayHeld(d.tenantId, d.deliveryId)]);
    await release(d.bucket, 500);
    const stale = await inFlight;

    expect(stale.result.retryMessages).toEqual([]);
    expect(await attemptsOf(d.tenantId, d.deliveryId)).toEqual({ numbers: [1, 2], count: 2, status: "succeeded", lastStatusCode: 200 });
  });

  it("a replay made while an attempt is in flight gets its whole attempt budget: with max_attempts 2, its first failure is retried", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/hold/1/${name}`, retry: { max_attempts: 2 } });
    const [d] = await enqueueMany(id, 1);

    const inFlight = consume([d!.task]);
    await requestsArrived(name, 1);
    const replay = await replayHeld(id, d!.deliveryId);
    await release(name, 500);
    await inFlight;
    await apiJson("PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { body: { url: `${receiverUrl()}/status/500/${name}` } });
    const replayed = await consume([replay]);

    expect(replayed.result.retryMessages).toHaveLength(1);
    expect(await attemptsOf(id, d!.deliveryId)).toEqual({ numbers: [1, 2], count: 2, status: "retrying", lastStatusCode: 500 });
  });

  it("one queue message run by two batches at once (an at-least-once duplicate): attempts 1 and 2, and the first result recorded decides", async () => {
    const d = await heldDelivery("hold/1");

    const first = consume([d.task]);
    await requestsArrived(d.bucket, 1);
    await consume([d.task]);
    await release(d.bucket, 500);
    const late = await first;

    expect(late.result.retryMessages).toEqual([]);
    expect(await attemptsOf(d.tenantId, d.deliveryId)).toEqual({ numbers: [1, 2], count: 2, status: "succeeded", lastStatusCode: 200 });
  });
});
