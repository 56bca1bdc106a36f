import { describe, expect, it } from "vitest";
import { FairScheduler } from "../../src/delivery/send-scheduler";

/** A job that ends when the test says so. */
function held() {
  let end = () => {};
  const done = new Promise<void>((resolve) => (end = resolve));
  return { run: () => done, end };
}

describe("the send scheduler shares a batch's connections between receivers", () => {
  it("a receiver with many sends waiting takes no more than its share while another has sends waiting", async () => {
    const started: string[] = [];
    const jobs = [..."AAAAAAAABB"].map((key) => ({ key, cap: Infinity, run: () => (started.push(key), new Promise<void>(() => {})) }));
    void new FairScheduler(jobs, 6, () => {}).run();
    await Promise.resolve();
    expect(started.filter((k) => k === "B")).toHaveLength(2);
    expect(started).toHaveLength(6);
  });

  it("withdrawn jobs never run, and the run ends once the started ones do", async () => {
    const first = held();
    const ran: number[] = [];
    const jobs = [0, 1, 2].map((i) => ({ key: "A", cap: 1, run: () => (ran.push(i), i === 0 ? first.run() : Promise.resolve()) }));
    const scheduler = new FairScheduler(jobs, 6, () => {});
    const run = scheduler.run();

    expect(scheduler.withdraw("A")).toEqual([1, 2]);
    first.end();
    await run;

    expect(ran).toEqual([0]);
    expect(scheduler.drained).toBe(true);
  });
});
