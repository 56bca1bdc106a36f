import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TimeoutError, within } from "../../src/lib/within";

describe("within", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("settles with the answer that comes in time", async () => {
    const answer = within(new Promise((resolve) => setTimeout(() => resolve("permit"), 999)), 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await answer).toBe("permit");
  });

  it("rejects with a TimeoutError carrying the message once the time is up", async () => {
    const answer = within(new Promise(() => {}), 1000, "reading it timed out");
    const outcome = expect(answer).rejects.toThrow(new TimeoutError("reading it timed out"));
    await vi.advanceTimersByTimeAsync(1000);
    await outcome;
  });

  it("passes on the rejection of a promise that fails in time", async () => {
    await expect(within(Promise.reject(new Error("overloaded")), 1000)).rejects.toThrow("overloaded");
  });

  it("leaves no timer behind once the promise settled", async () => {
    await within(Promise.resolve("done"), 1000);
    expect(vi.getTimerCount()).toBe(0);
  });
});
