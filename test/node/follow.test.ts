import { describe, expect, it } from "vitest";
import { DeliveryFollower, WINDOW_LAG_MS } from "../../tools/cli/follow.ts";
import type { Schema } from "../../tools/cli/client.ts";

type DeliverySummary = Schema<"DeliverySummary">;

const T0 = Date.parse("2026-11-23T12:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

function delivery(id: string, createdMs: number, status: DeliverySummary["status"], attempts = 0, updatedMs = createdMs): DeliverySummary {
  return {
    id,
    message_id: `m-${id}`,
    endpoint_id: "e1",
    url: null,
    status,
    attempt_count: attempts,
    next_attempt_at: null,
    last_attempt_at: null,
    last_status_code: null,
    last_error: null,
    created_at: at(createdMs),
    updated_at: at(updatedMs),
  };
}

describe("tail's delivery follower", () => {
  it("reports a delivery when it first appears and at each change, not on every poll", () => {
    const follower = new DeliveryFollower(T0);
    expect(follower.update([delivery("a", 0, "pending")]).map((d) => d.status)).toEqual(["pending"]);
    expect(follower.update([delivery("a", 0, "pending")])).toEqual([]);
    expect(follower.update([delivery("a", 0, "retrying", 1, 1000)]).map((d) => d.status)).toEqual(["retrying"]);
    expect(follower.update([delivery("a", 0, "retrying", 2, 5000)]).map((d) => d.attempt_count)).toEqual([2]);
  });

  it("reports changes in the order they happened", () => {
    const follower = new DeliveryFollower(T0);
    const changes = follower.update([delivery("b", 2000, "pending"), delivery("a", 1000, "succeeded", 1, 3000)]);
    expect(changes.map((d) => d.id)).toEqual(["b", "a"]);
  });

  it("starts the next poll at the oldest unfinished delivery, less the lag", () => {
    const follower = new DeliveryFollower(T0);
    follower.update([delivery("a", 60_000, "retrying"), delivery("b", 90_000, "succeeded")]);
    expect(follower.since).toBe(at(60_000 - WINDOW_LAG_MS));
  });

  it("moves past finished deliveries to the newest one, less the lag", () => {
    const follower = new DeliveryFollower(T0);
    follower.update([delivery("a", 60_000, "failed"), delivery("b", 90_000, "succeeded")]);
    expect(follower.since).toBe(at(90_000 - WINDOW_LAG_MS));
  });

  it("never moves the window back before where it started", () => {
    const follower = new DeliveryFollower(T0 + 60_000);
    follower.update([delivery("a", 61_000, "pending")]);
    expect(follower.since).toBe(at(60_000));
  });
});
