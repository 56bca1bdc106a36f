import { describe, expect, it } from "vitest";
import { MISSING_SECRET_WAIT_MS, outcomeOf, platformFaultOf, PLATFORM_FAULT_DELAY_SECONDS, verdictOf, healthOf, SHARD_FAILED, statsOf } from "../../src/delivery/decide";
import { jobOf } from "../../src/delivery/jobs";
import { nextLane, SLOW_ANSWER_MS } from "../../src/delivery/lanes";
import { newMessageId } from "../../src/lib/ids";
import { plan, planBatch } from "../../src/delivery/plan";
import { answerOf, REQUEUE_AFTER_QUEUE_ATTEMPTS, settlementOf } from "../../src/delivery/settle";
import { answer, delivery } from "./support/fake-ports";

const NOW = Date.UTC(2026, 11, 7, 12);
const ENDPOINT = "44444444-4444-4444-8444-444444444444";

describe("plan: what a delivery's row says before anything is sent", () => {
  it("a message whose token the row no longer carries is acked unsent", () => {
    const { work, task } = delivery(ENDPOINT);
    expect(plan({ ...task, token: "replaced" }, work, NOW, "slow")).toEqual({ kind: "ack" });
  });

  it("a delivery already succeeded is acked unsent", () => {
    const { work, task } = delivery(ENDPOINT, { status: "succeeded" });
    expect(plan(task, work, NOW, "slow")).toEqual({ kind: "ack" });
  });

  it("a delivery whose endpoint was deleted or disabled is cancelled", () => {
    const deleted = delivery(ENDPOINT, { endpoint_exists: null });
    const disabled = delivery(ENDPOINT, { endpoint_enabled: 0 });
    expect(plan(deleted.task, deleted.work, NOW, "slow")).toEqual({ kind: "cancel", reason: "Endpoint was deleted" });
    expect(plan(disabled.task, disabled.work, NOW, "slow")).toEqual({ kind: "cancel", reason: "Endpoint is disabled" });
  });

  it("a delivery that arrives early waits the rest, in hops of at most 12 h", () => {
    const soon = delivery(ENDPOINT, { next_attempt_at: NOW + 90_000 });
    const far = delivery(ENDPOINT, { next_attempt_at: NOW + 3 * 86_400_000 });
    expect(plan(soon.task, soon.work, NOW, "slow")).toEqual({ kind: "wait", seconds: 90 });
    expect(plan(far.task, far.work, NOW, "slow")).toEqual({ kind: "wait", seconds: 43_200 });
  });

  it("the main lane forwards a due delivery of a slow-lane endpoint; the slow lane sends it", () => {
    const { work, task } = delivery(ENDPOINT, { endpoint_slow_since: NOW - 1 });
    expect(plan(task, work, NOW, "main").kind).toBe("forward");
    expect(plan(task, work, NOW, "slow").kind).toBe("send");
  });

  it("of two messages for one delivery, the one with the live token is sent and the stale one acked", () => {
    const { work, task } = delivery(ENDPOINT);
    const plans = planBatch([{ ...task, token: "stale" }, task], new Map([[work.id, work]]), NOW, "slow");
    expect(plans.map((p) => p.kind)).toEqual(["ack", "send"]);
  });
});

describe("decode: a row's JSON columns become typed settings once", () => {
  it("an endpoint's signature, headers, retry schedule and rate limit are parsed into its job", () => {
    const { work } = delivery(ENDPOINT, {
      endpoint_signature: '{"scheme":"github"}', endpoint_headers: '{"x-team":"a"}', endpoint_retry: '{"max_attempts":2}',
      endpoint_rate_limit: '{"per_second":5}', endpoint_timeout_ms: 1_500,
    });
    expect(jobOf(work)).toMatchObject({
      signature: { scheme: "github" }, headers: { "x-team": "a" }, retry: { max_attempts: 2 },
      limits: { perSecond: 5, maxInFlight: null }, timeoutMs: 1_500, receiver: ENDPOINT, url: work.endpoint_url,
    });
  });

  it("one-off deliveries to one origin share one receiver", () => {
    const a = jobOf(delivery("", { url: "https://hooks.example/a", endpoint_url: null }).work);
    const b = jobOf(delivery("", { url: "https://hooks.example/b", endpoint_url: null }).work);
    expect(a.receiver).toBe(b.receiver);
  });
});

describe("decide: what an outcome means for the delivery, its endpoint and its lane", () => {
  it("a 500 on the last allowed attempt fails the delivery with no retry", () => {
    const job = jobOf(delivery(ENDPOINT, { endpoint_retry: '{"max_attempts":1}' }).work);
    expect(outcomeOf(job, answer(500), NOW, () => 0.5)).toMatchObject({ status: "failed", delaySeconds: null, nextAttemptAt: null });
  });

  it("a retry waits at least as long as the receiver's Retry-After", () => {
    const job = jobOf(delivery(ENDPOINT).work);
    const decided = outcomeOf(job, { ...answer(429), retryAfterSeconds: 600 }, NOW, () => 0.5);
    expect(decided).toMatchObject({ status: "retrying", delaySeconds: 600, nextAttemptAt: NOW + 600_000 });
  });

  it("a record's time moves past the row's last attempt, so recording can tell it is live", () => {
    const job = jobOf(delivery(ENDPOINT, { last_attempt_at: NOW + 5 }).work);
    expect(outcomeOf(job, answer(200), NOW, () => 0.5).at).toBe(NOW + 6);
  });

  it("the record of a delivery holding a place in a FIFO order says so, so recording knows it may wake the order", () => {
    const inOrder = jobOf(delivery(ENDPOINT, { fifo_seq: 3 }).work);
    const outside = jobOf(delivery(ENDPOINT).work);
    expect(outcomeOf(inOrder, answer(200), NOW, () => 0.5).inOrder).toBe(true);
    expect(outcomeOf(outside, answer(200), NOW, () => 0.5).inOrder).toBe(false);
  });

  it("a slow request sends the endpoint and the retry to the slow lane; a quick one brings the endpoint back to the main lane", () => {
    expect(nextLane("main", "slow")).toEqual({ endpoint: "slow", retry: "slow" });
    expect(nextLane("slow", "quick")).toEqual({ endpoint: "main", retry: "slow" });
    expect(nextLane("main", null)).toEqual({ endpoint: null, retry: "main" });
  });

  it("a live retry after a slow request comes back in the slow lane; a stale record is done", () => {
    const job = jobOf(delivery(ENDPOINT).work);
    const record = outcomeOf(job, answer(500, SLOW_ANSWER_MS), NOW, () => 0.5);
    expect(verdictOf({ slot: 0, record }, new Set([record.deliveryId]), true, "main")).toMatchObject({ kind: "retry", lane: "slow" });
    expect(verdictOf({ slot: 0, record }, new Set(), true, "main")).toEqual({ kind: "ack" });
  });

  it("a result its shard could not record comes back; a send held back comes back after its deferral", () => {
    expect(verdictOf({ slot: 0, record: null }, new Set(), false, "main")).toEqual(SHARD_FAILED);
    expect(verdictOf({ slot: 0, record: null, deferSeconds: 7 }, new Set(), true, "main")).toEqual({ kind: "retry", delaySeconds: 7 });
  });

  it("an endpoint's health takes the slowest answer of the batch as its pace", () => {
    const job = jobOf(delivery(ENDPOINT).work);
    const records = [answer(200, 10), answer(200, SLOW_ANSWER_MS + 1)].map((r) => outcomeOf(job, r, NOW, () => 0.5));
    expect(healthOf(records, new Map())).toMatchObject([{ endpointId: ENDPOINT, succeeded: true, pace: "slow" }]);
  });

  it("an endpoint's stats count every attempt of the batch by outcome, in one rollup per 5-minute bucket", () => {
    const job = jobOf(delivery(ENDPOINT).work);
    const records = [answer(200, 10), answer(500, 30), answer(200, 20)].map((r) => outcomeOf(job, r, NOW, () => 0.5));
    expect(statsOf(records)).toMatchObject([{ endpointId: ENDPOINT, bucketStart: NOW, succeeded: 2, failed: 1 }]);
  });
});

describe("settle: one decision per queue message", () => {
  const tasks = [delivery(ENDPOINT).task, delivery(ENDPOINT).task];

  it("a message whose deliveries all come back after one delay is retried in place", () => {
    const verdicts = [{ kind: "retry", delaySeconds: 5 }, { kind: "retry", delaySeconds: 5 }] as const;
    expect(settlementOf([0, 1], verdicts, tasks, 1, "main")).toEqual({ kind: "retry", delaySeconds: 5 });
  });

  it("a message with one delivery done and one coming back is split: only the latter is queued again", () => {
    const settlement = settlementOf([0, 1], [{ kind: "ack" }, { kind: "retry", delaySeconds: 5 }], tasks, 1, "main");
    expect(settlement).toEqual({ kind: "split", groups: [{ lane: "main", tasks: [tasks[1]], delaySeconds: 5 }] });
  });

  it(`a message Queues has delivered ${REQUEUE_AFTER_QUEUE_ATTEMPTS} times is queued again as a new message, unless its shard failed`, () => {
    expect(settlementOf([0], [{ kind: "retry", delaySeconds: 1 }], tasks, REQUEUE_AFTER_QUEUE_ATTEMPTS, "main").kind).toBe("split");
    expect(settlementOf([0], [SHARD_FAILED], tasks, REQUEUE_AFTER_QUEUE_ATTEMPTS, "main").kind).toBe("retry");
  });

  it("a split message is acked once any lane took its deliveries, and retried whole when none did", () => {
    const split = settlementOf([0, 1], [{ kind: "forward" }, { kind: "retry", delaySeconds: 5 }], tasks, 1, "main");
    expect(answerOf(split, new Set(["slow"]))).toEqual({ kind: "ack" });
    expect(answerOf(split, new Set(["slow", "main"]))).toEqual({ kind: "retry", delaySeconds: 0 });
  });
});

describe("decide: a secret or payload the platform cannot give yet costs no attempt", () => {
  const notVisible = { unreadable: "secret", missing: true, error: "no signing secret visible yet" } as const;

  it("a secret not visible yet, minutes after the rotation its row names, makes the delivery wait uncounted", () => {
    const job = jobOf(delivery(ENDPOINT, { endpoint_secret_version: NOW - 60_000 }).work);
    expect(platformFaultOf(job, notVisible, NOW)).toEqual({ deferSeconds: PLATFORM_FAULT_DELAY_SECONDS });
  });

  it(`a secret still missing ${MISSING_SECRET_WAIT_MS / 60_000} min after it was written is a failed attempt that sent nothing`, () => {
    const job = jobOf(delivery(ENDPOINT, { endpoint_secret_version: NOW - MISSING_SECRET_WAIT_MS, endpoint_created_at: NOW - 86_400_000 }).work);
    expect(platformFaultOf(job, notVisible, NOW)).toMatchObject({ outcome: "retryable", statusCode: null, errorKind: "secret_unavailable" });
  });

  it("a new endpoint's secret is waited for from the endpoint's creation, not from an old rotation", () => {
    const job = jobOf(delivery(ENDPOINT, { endpoint_secret_version: 0, endpoint_created_at: NOW - 1_000 }).work);
    expect(platformFaultOf(job, notVisible, NOW)).toEqual({ deferSeconds: PLATFORM_FAULT_DELAY_SECONDS });
  });

  it("a one-off delivery's tenant secret not visible yet is waited for from the tenant's rotation, however old its message", () => {
    const oneOff = { endpoint_id: "", url: "https://receiver.example/once", message_id: newMessageId("t1", NOW - 86_400_000) };
    const job = jobOf(delivery("", { ...oneOff, tenant_secret_version: NOW - 60_000 }).work);
    expect(platformFaultOf(job, notVisible, NOW)).toEqual({ deferSeconds: PLATFORM_FAULT_DELAY_SECONDS });
    const unrotated = jobOf(delivery("", { ...oneOff, tenant_secret_version: NOW - 86_400_000 }).work);
    expect(platformFaultOf(unrotated, notVisible, NOW)).toMatchObject({ outcome: "retryable", errorKind: "secret_unavailable" });
  });

  it("a KV or R2 read that fails is waited for however old the secret is: an outage is never the receiver's doing", () => {
    const job = jobOf(delivery(ENDPOINT, { endpoint_secret_version: 0, endpoint_created_at: 0 }).work);
    for (const unreadable of ["secret", "payload"] as const) {
      expect(platformFaultOf(job, { unreadable, missing: false, error: "overloaded" }, NOW)).toEqual({ deferSeconds: PLATFORM_FAULT_DELAY_SECONDS });
    }
  });

  it("a waiting delivery's message is retried in place after the short delay", () => {
    const task = delivery(ENDPOINT).task;
    const verdict = verdictOf({ slot: 0, record: null, deferSeconds: PLATFORM_FAULT_DELAY_SECONDS }, new Set(), true, "main");
    expect(settlementOf([0], [verdict], [task], 1, "main")).toEqual({ kind: "retry", delaySeconds: PLATFORM_FAULT_DELAY_SECONDS });
  });
});
