import { describe, expect, it } from "vitest";
import { PLATFORM_FAULT_DELAY_SECONDS } from "../../src/delivery/decide";
import { SLOW_ANSWER_MS } from "../../src/delivery/lanes";
import { runBatch } from "../../src/delivery/run-batch";
import { answer, delivery, FakeTime, fakePorts, message, settle } from "./support/fake-ports";

const MAIN = "edgehook-deliveries";
const SLOW = "edgehook-deliveries-slow";
const QUICK = "11111111-1111-4111-8111-111111111111";
const TURNING = "22222222-2222-4222-8222-222222222222";

/** Starts a batch and reports whether it has resolved, without waiting for it. */
function start(run: Promise<void>) {
  const state = { done: false };
  void run.then(() => (state.done = true));
  return state;
}

describe("kind: a main-lane batch settles every other delivery while a receiver turning slow is still answering", () => {
  it(`a quick endpoint's message is acked, and the batch ends, once the other endpoint's request has run ${SLOW_ANSWER_MS} ms`, async () => {
    const time = new FakeTime();
    const [quick, turning] = [delivery(QUICK), delivery(TURNING)];
    const fake = fakePorts(time, [quick.work, turning.work], { [TURNING]: "hang" });
    const [quickMessage, turningMessage] = [message(quick.task), message(turning.task)];

    const batch = start(runBatch([turningMessage, quickMessage], MAIN, fake.ports));
    await time.advance(SLOW_ANSWER_MS - 1);
    expect(batch.done).toBe(false);
    await time.advance(1);

    expect(batch.done).toBe(true);
    expect(quickMessage.told).toEqual([{ kind: "ack" }]);
    expect(turningMessage.told).toEqual([{ kind: "ack" }]);
    expect(fake.open.map((r) => r.deliveryId)).toEqual([turning.work.id]);
    expect(fake.recorded.flatMap((r) => r.attempts.map((a) => [a.deliveryId, a.status]))).toEqual([[quick.work.id, "succeeded"]]);
  });

  it("a handed-off request's result is recorded when it comes, and a retry it needs goes to the slow lane in a new message", async () => {
    const time = new FakeTime();
    const turning = delivery(TURNING);
    const fake = fakePorts(time, [turning.work], { [TURNING]: "hang" });
    await Promise.all([runBatch([message(turning.task)], MAIN, fake.ports), time.advance(SLOW_ANSWER_MS)]);
    expect(fake.background).toHaveLength(1);

    await time.advance(3_000);
    fake.open[0]!.answer(answer(500, SLOW_ANSWER_MS + 3_000));
    await Promise.all(fake.background);

    expect(fake.recorded.flatMap((r) => r.attempts.map((a) => a.status))).toEqual(["retrying"]);
    expect(fake.requeued).toMatchObject([{ lane: "slow", tasks: [turning.task] }]);
    expect(fake.requeued[0]!.delaySeconds).toBeGreaterThan(0);
  });

  it("a handed-off request that succeeds is recorded and queues nothing again", async () => {
    const time = new FakeTime();
    const turning = delivery(TURNING);
    const fake = fakePorts(time, [turning.work], { [TURNING]: "hang" });
    await Promise.all([runBatch([message(turning.task)], MAIN, fake.ports), time.advance(SLOW_ANSWER_MS)]);

    fake.open[0]!.answer(answer(200, SLOW_ANSWER_MS + 500));
    await Promise.all(fake.background);

    expect(fake.recorded.flatMap((r) => r.attempts.map((a) => a.status))).toEqual(["succeeded"]);
    expect(fake.requeued).toEqual([]);
  });

  it("the unstarted deliveries of a receiver that turned slow are forwarded to the slow lane unsent", async () => {
    const time = new FakeTime();
    const turning = Array.from({ length: 8 }, () => delivery(TURNING));
    const fake = fakePorts(time, turning.map((d) => d.work), { [TURNING]: "hang" });

    await Promise.all([runBatch(turning.map((d) => message(d.task)), MAIN, fake.ports), time.advance(SLOW_ANSWER_MS)]);

    expect(fake.sentTo).toHaveLength(6);
    expect(fake.requeued.flatMap((g) => (g.lane === "slow" ? g.tasks : []))).toHaveLength(2);
  });

  it("a slow-lane batch waits for its slow receivers instead of handing them off", async () => {
    const time = new FakeTime();
    const turning = delivery(TURNING);
    const fake = fakePorts(time, [turning.work], { [TURNING]: "hang" });
    const msg = message(turning.task);

    const batch = start(runBatch([msg], SLOW, fake.ports));
    await time.advance(SLOW_ANSWER_MS * 3);
    expect(batch.done).toBe(false);
    fake.open[0]!.answer(answer(200, SLOW_ANSWER_MS * 3));
    await settle();

    expect(batch.done).toBe(true);
    expect(msg.told).toEqual([{ kind: "ack" }]);
  });
});

describe("kind: results wait for no slow receiver before they are recorded", () => {
  it("in the slow lane, results are recorded as soon as only a slow receiver's request is left, not at the next 1.5 s tick", async () => {
    const time = new FakeTime();
    const [quick, turning] = [delivery(QUICK), delivery(TURNING)];
    // The quick answer comes just after the first tick (1.5 s); the other request turns slow at 2 s.
    const fake = fakePorts(time, [quick.work, turning.work], { [TURNING]: "hang", [QUICK]: { after: 1_600, result: answer(200, 1_600) } });
    void runBatch([message(turning.task), message(quick.task)], SLOW, fake.ports);

    await time.advance(SLOW_ANSWER_MS - 1);
    expect(fake.recorded).toEqual([]);
    await time.advance(1);

    expect(fake.recorded.flatMap((r) => r.attempts.map((a) => a.deliveryId))).toEqual([quick.work.id]);
  });
});

describe("kind: a batch costs one D1 read and one D1 write per shard, and a failing shard only fails its own messages", () => {
  it("a quick batch across two shards loads and records each shard once", async () => {
    const time = new FakeTime();
    const [a, b] = [delivery(QUICK, {}, 0), delivery(QUICK, {}, 1)];
    const fake = fakePorts(time, [a.work, b.work], {});

    await runBatch([message(a.task), message(b.task)], MAIN, fake.ports);

    expect(fake.calls).toEqual({ load: 2, record: 2 });
  });

  it("a shard that cannot be read has its messages retried after 30 s while the other shard's are delivered", async () => {
    const time = new FakeTime();
    const [a, b] = [delivery(QUICK, {}, 0), delivery(QUICK, {}, 1)];
    const fake = fakePorts(time, [a.work, b.work], {}, { load: [1] });
    const [ma, mb] = [message(a.task), message(b.task)];

    await runBatch([ma, mb], MAIN, fake.ports);

    expect(ma.told).toEqual([{ kind: "ack" }]);
    expect(mb.told).toEqual([{ kind: "retry", delaySeconds: 30 }]);
  });

  it("a delivery whose result its shard could not record comes back after 30 s", async () => {
    const time = new FakeTime();
    const a = delivery(QUICK);
    const fake = fakePorts(time, [a.work], {}, { record: [0] });
    const msg = message(a.task);

    await runBatch([msg], MAIN, fake.ports);

    expect(msg.told).toEqual([{ kind: "retry", delaySeconds: 30 }]);
  });
});

describe("kind: the consumer reads time only from its clock", () => {
  it("an attempt is recorded at the injected clock's time, not the machine's", async () => {
    const time = new FakeTime();
    time.now = Date.UTC(2031, 0, 1);
    const a = delivery(QUICK);
    const fake = fakePorts(time, [a.work], {});

    await runBatch([message(a.task)], MAIN, fake.ports);

    expect(fake.recorded[0]!.attempts[0]!.at).toBe(Date.UTC(2031, 0, 1));
  });

  it("a packed message whose deliveries fail and succeed is acked and only the failed one queued again", async () => {
    const time = new FakeTime();
    const FAILING = "33333333-3333-4333-8333-333333333333";
    const [ok, failing] = [delivery(QUICK), delivery(FAILING)];
    const fake = fakePorts(time, [ok.work, failing.work], { [FAILING]: answer(500) });
    const msg = message({ shard: 0, tenant_id: "t1", deliveries: [ok.task, failing.task].map(({ delivery_id, endpoint_id, token }) => ({ delivery_id, endpoint_id, token })) });

    await runBatch([msg], MAIN, fake.ports);

    expect(msg.told).toEqual([{ kind: "ack" }]);
    expect(fake.requeued).toMatchObject([{ lane: "main", tasks: [failing.task] }]);
  });
});

describe("kind: a platform fault in a batch costs no attempt", () => {
  it("a delivery whose secret is not visible yet records no attempt and its message comes back shortly", async () => {
    const time = new FakeTime();
    const waiting = delivery(QUICK, { endpoint_created_at: time.now });
    const fake = fakePorts(time, [waiting.work], { [QUICK]: { unreadable: "secret", missing: true, error: "no signing secret visible yet" } });
    const waitingMessage = message(waiting.task);
    await runBatch([waitingMessage], MAIN, fake.ports);
    expect(fake.recorded.flatMap((r) => r.attempts)).toEqual([]);
    expect(waitingMessage.told).toEqual([{ kind: "retry", delaySeconds: PLATFORM_FAULT_DELAY_SECONDS }]);
  });

  it("nor a stats count: the endpoint stats written with a batch count only the attempts it recorded", async () => {
    const time = new FakeTime();
    const [sent, waiting] = [delivery(QUICK), delivery(TURNING, { endpoint_created_at: time.now })];
    const fake = fakePorts(time, [sent.work, waiting.work], { [TURNING]: { unreadable: "secret", missing: true, error: "no signing secret visible yet" } });
    await runBatch([message(sent.task), message(waiting.task)], MAIN, fake.ports);
    expect(fake.recorded.flatMap((r) => r.stats)).toMatchObject([{ endpointId: QUICK, succeeded: 1, failed: 0 }]);
  });
});
