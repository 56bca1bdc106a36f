import { describe, expect, it } from "vitest";
import { hopSeconds, MAX_QUEUE_DELAY_SECONDS } from "../../src/delivery/backoff";
import { plan } from "../../src/delivery/plan";
import { dueAtOf } from "../../src/ops/enqueue-request";
import { delivery } from "./support/fake-ports";

const CREATED = Date.UTC(2026, 11, 7, 12);

describe("when a message is due (dueAtOf)", () => {
  it("a delay_seconds makes it due that many seconds after it was created", () => {
    expect(dueAtOf({ delaySeconds: 90 }, CREATED)).toBe(CREATED + 90_000);
  });

  it("a delay of 0 makes it due at once", () => {
    expect(dueAtOf({ delaySeconds: 0 }, CREATED)).toBeNull();
  });

  it("a deliver_at ahead makes it due then", () => {
    expect(dueAtOf({ deliverAt: CREATED + 3_600_000 }, CREATED)).toBe(CREATED + 3_600_000);
  });

  it("a deliver_at in the past makes it due at once", () => {
    expect(dueAtOf({ deliverAt: CREATED - 1 }, CREATED)).toBeNull();
  });

  it("a message with neither is due at once", () => {
    expect(dueAtOf({}, CREATED)).toBeNull();
  });
});

describe("the queue delay of the next hop towards a due time (hopSeconds)", () => {
  it("is the time left, rounded up so the hop never lands early", () => {
    expect(hopSeconds(CREATED + 59_001, CREATED)).toBe(60);
  });

  it("is 0 for a delivery already due or with no due time", () => {
    expect(hopSeconds(CREATED, CREATED)).toBe(0);
    expect(hopSeconds(null, CREATED)).toBe(0);
  });

  it("is at most the queue's maximum delay, so a long wait arrives in several hops", () => {
    expect(hopSeconds(CREATED + 3 * 86_400_000, CREATED)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });

  it("measures every hop afresh from the due time, so a queue a little late on each hop does not add up drift", () => {
    const due = CREATED + 30 * 86_400_000 + 123;
    const lateness = 2_000;
    let now = CREATED;
    while (hopSeconds(due, now) > 0) now += hopSeconds(due, now) * 1000 + lateness;
    expect(now - due).toBeGreaterThanOrEqual(0);
    expect(now - due).toBeLessThan(1_000 + lateness);
  });
});

describe("a scheduled delivery whose endpoint changes before it is due (plan)", () => {
  const ENDPOINT = "44444444-4444-4444-8444-444444444444";

  it("waits for its time while the endpoint is disabled, since the endpoint may be enabled again by then", () => {
    const { work, task } = delivery(ENDPOINT, { status: "scheduled", next_attempt_at: CREATED + 3 * 86_400_000, endpoint_enabled: 0 });
    expect(plan(task, work, CREATED, "slow")).toEqual({ kind: "wait", seconds: MAX_QUEUE_DELAY_SECONDS });
  });

  it("is cancelled once due if the endpoint is still disabled", () => {
    const { work, task } = delivery(ENDPOINT, { status: "scheduled", next_attempt_at: CREATED, endpoint_enabled: 0 });
    expect(plan(task, work, CREATED, "slow")).toEqual({ kind: "cancel", reason: "Endpoint is disabled" });
  });

  it("is cancelled at once when the endpoint is deleted, which never comes back", () => {
    const { work, task } = delivery(ENDPOINT, { status: "scheduled", next_attempt_at: CREATED + 3 * 86_400_000, endpoint_exists: null });
    expect(plan(task, work, CREATED, "slow")).toEqual({ kind: "cancel", reason: "Endpoint was deleted" });
  });
});
