import { describe, expect, it } from "vitest";
import { MAX_QUEUE_DELAY_SECONDS } from "../../src/delivery/backoff";
import { HOLD_POLL_MAX_SECONDS, HOLD_POLL_SECONDS, holdSeconds } from "../../src/delivery/fifo";
import { plan } from "../../src/delivery/plan";
import { runBatch } from "../../src/delivery/run-batch";
import { delivery, FakeTime, fakePorts, message, settle } from "./support/fake-ports";

// FIFO endpoints (issue 26): the hold rule (src/delivery/fifo.ts) as the plan stage applies it, with
// a fake clock. The order itself (which delivery is the head) is D1's: test/fifo-delivery.test.ts.

const NOW = Date.UTC(2026, 11, 7, 12);
const ENDPOINT = "55555555-5555-4555-8555-555555555555";
const HEAD = "00000000-0000-7000-8000-000000000001";

describe("holdSeconds: how long a delivery behind the head of its order waits", () => {
  it("right behind a head that is due now or in flight, it is asked about again after the short poll", () => {
    expect(holdSeconds({ head_id: HEAD, head_next_attempt_at: null, head_distance: 1 }, NOW)).toBe(HOLD_POLL_SECONDS);
    expect(holdSeconds({ head_id: HEAD, head_next_attempt_at: NOW - 5_000, head_distance: 1 }, NOW)).toBe(HOLD_POLL_SECONDS);
  });

  it("further behind a head that is due or in flight, it waits the short poll once per place behind", () => {
    expect(holdSeconds({ head_id: HEAD, head_next_attempt_at: null, head_distance: 5 }, NOW)).toBe(5 * HOLD_POLL_SECONDS);
  });

  it("however far behind, the poll waits at most its cap, so a lost wake delays the order little", () => {
    expect(holdSeconds({ head_id: HEAD, head_next_attempt_at: null, head_distance: 10_000 }, NOW)).toBe(HOLD_POLL_MAX_SECONDS);
  });

  it("with no distance known, it waits one short poll", () => {
    expect(holdSeconds({ head_id: HEAD, head_next_attempt_at: null, head_distance: null }, NOW)).toBe(HOLD_POLL_SECONDS);
  });

  it("a head waiting for its retry is waited for until its retry is due, plus the poll for its result, wherever the delivery stands", () => {
    expect(holdSeconds({ head_id: HEAD, head_next_attempt_at: NOW + 90_500, head_distance: 1 }, NOW)).toBe(91 + HOLD_POLL_SECONDS);
    expect(holdSeconds({ head_id: HEAD, head_next_attempt_at: NOW + 90_500, head_distance: 40 }, NOW)).toBe(91 + HOLD_POLL_SECONDS);
  });

  it("a head due further out than one queue hop is waited for one hop at a time", () => {
    expect(holdSeconds({ head_id: HEAD, head_next_attempt_at: NOW + 3 * 86_400_000, head_distance: 1 }, NOW)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });
});

describe("plan: a FIFO delivery is sent only at the head of its order", () => {
  it("a delivery behind a retrying head is held until the head's retry, with its job for the claim", () => {
    const { work, task } = delivery(ENDPOINT, { head_id: HEAD, head_next_attempt_at: NOW + 30_000 });
    expect(plan(task, work, NOW, "slow")).toMatchObject({ kind: "hold", seconds: 30 + HOLD_POLL_SECONDS, job: { work } });
  });

  it("the head itself, and any delivery outside an order, is sent", () => {
    const { work, task } = delivery(ENDPOINT);
    expect(plan(task, work, NOW, "slow").kind).toBe("send");
  });

  it("a held delivery whose endpoint was deleted is cancelled, not held", () => {
    const { work, task } = delivery(ENDPOINT, { head_id: HEAD, endpoint_exists: null });
    expect(plan(task, work, NOW, "slow")).toEqual({ kind: "cancel", reason: "Endpoint was deleted" });
  });

  it("a held delivery not due yet itself waits for its own time first", () => {
    const { work, task } = delivery(ENDPOINT, { head_id: HEAD, next_attempt_at: NOW + 600_000 });
    expect(plan(task, work, NOW, "slow")).toEqual({ kind: "wait", seconds: 600 });
  });

  it("in the main lane a held delivery of a slow endpoint is held, not forwarded", () => {
    const { work, task } = delivery(ENDPOINT, { head_id: HEAD, endpoint_slow_since: NOW - 1 });
    expect(plan(task, work, NOW, "main").kind).toBe("hold");
  });
});

describe("kind: a held delivery costs no attempt and comes back", () => {
  it("a batch with a head and a held delivery sends only the head, records no attempt for the other and retries its message after the hold", async () => {
    const time = new FakeTime();
    const head = delivery(ENDPOINT);
    const behind = delivery(ENDPOINT, { head_id: head.work.id, head_next_attempt_at: null });
    const fake = fakePorts(time, [head.work, behind.work], {});
    const [headMessage, behindMessage] = [message(head.task), message(behind.task)];
    await runBatch([headMessage, behindMessage], "edgehook-deliveries-slow", fake.ports);
    expect(fake.sentTo).toEqual([head.work.id]);
    expect(fake.recorded.flatMap((r) => r.attempts.map((a) => a.deliveryId))).toEqual([head.work.id]);
    expect(headMessage.told).toEqual([{ kind: "ack" }]);
    expect(behindMessage.told).toEqual([{ kind: "retry", delaySeconds: HOLD_POLL_SECONDS }]);
  });

  it("a delivery held longer than its claim lasts moves its claim to when it comes back, so the sweeper leaves it waiting", async () => {
    const time = new FakeTime();
    const behind = delivery(ENDPOINT, { head_id: HEAD, head_next_attempt_at: time.now + 3_600_000 });
    const fake = fakePorts(time, [behind.work], {});
    await runBatch([message(behind.task)], "edgehook-deliveries-slow", fake.ports);
    const [claim] = fake.recorded.flatMap((r) => r.deferredClaims);
    expect(claim).toMatchObject({ deliveryId: behind.work.id, from: time.now + (3_600 + HOLD_POLL_SECONDS) * 1000 });
  });
});

describe("kind: the wake moves an order as soon as its head's outcome is recorded", () => {
  /** A head of an order whose recorded outcome wakes `next`, the delivery after it, and in-memory ports. */
  function headThatWakes() {
    const head = delivery(ENDPOINT);
    const fake = fakePorts(new FakeTime(), [head.work], {});
    const next = { tenant_id: head.work.tenant_id, endpoint_id: ENDPOINT, delivery_id: "00000000-0000-7000-8000-000000000002", token: "new-chain" };
    const record = fake.ports.store.record;
    fake.ports.store.record = async (...args) => ({ ...(await record(...args)), woken: [next] });
    return { head, fake, next };
  }

  it("the delivery the record woke is queued at once, with no delay, in the batch's lane, on the token the record gave it", async () => {
    const { head, fake, next } = headThatWakes();
    const headMessage = message(head.task);
    await runBatch([headMessage], "edgehook-deliveries-slow", fake.ports);
    expect(headMessage.told).toEqual([{ kind: "ack" }]);
    expect(fake.requeued).toEqual([{ lane: "slow", delaySeconds: 0, tasks: [{ ...next, shard: head.task.shard }] }]);
  });

  it("the operational events of a record go out while its wake is still being queued", async () => {
    const { head, fake } = headThatWakes();
    let queueWake = () => {};
    fake.ports.requeue = () => new Promise<void>((resolve) => (queueWake = resolve));
    const reported: string[] = [];
    fake.ports.events = async (records) => void reported.push(...records.map((r) => r.deliveryId));
    const batch = runBatch([message(head.task)], "edgehook-deliveries-slow", fake.ports);
    await settle();
    expect(reported).toEqual([head.work.id]);
    queueWake();
    await batch;
  });

  it("a record that wakes nothing queues nothing", async () => {
    const time = new FakeTime();
    const head = delivery(ENDPOINT);
    const fake = fakePorts(time, [head.work], {});
    await runBatch([message(head.task)], "edgehook-deliveries-slow", fake.ports);
    expect(fake.requeued).toEqual([]);
  });
});
