import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { retryingD1 } from "../../src/db/transient";

const BUSY = "D1_ERROR: D1 DB is overloaded. Requests queued for too long.";

/** A D1 database whose every statement run is refused as overloaded the first time and taken the second; `runs` counts the tries. */
function refusingEveryFirstTry() {
  const tried = new Set<string>();
  const db = {
    runs: 0,
    prepare: (sql: string) => ({
      run: async () => {
        db.runs++;
        if (!tried.has(sql)) {
          tried.add(sql);
          throw new Error(BUSY);
        }
        return { success: true, meta: { changes: 1 } };
      },
    }),
  };
  return db;
}

/** Runs `sql` on `db`, letting the retry's pause pass on the fake clock. */
async function run(db: D1Database, sql: string): Promise<unknown> {
  const result = db.prepare(sql).run().then(
    (value) => ({ value }),
    (error: Error) => ({ error: error.message }),
  );
  await vi.runAllTimersAsync();
  return result;
}

describe("retryingD1's bound on second tries", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("databases that share a bound make that many second tries between them, and the next refusal is thrown", async () => {
    const retries = { left: 2 };
    const [first, second] = [refusingEveryFirstTry(), refusingEveryFirstTry()];
    const a = retryingD1(first as unknown as D1Database, retries);
    const b = retryingD1(second as unknown as D1Database, retries);
    expect(await run(a, "UPDATE one")).toHaveProperty("value");
    expect(await run(b, "UPDATE two")).toHaveProperty("value");
    expect(await run(b, "UPDATE three")).toEqual({ error: BUSY });
    expect(first.runs + second.runs).toBe(5);
  });

  it("a statement taken the first time spends none of the bound", async () => {
    const db = refusingEveryFirstTry();
    await db.prepare("UPDATE one").run().catch(() => undefined);
    const wrapped = retryingD1(db as unknown as D1Database, { left: 1 });
    expect(await run(wrapped, "UPDATE one")).toHaveProperty("value");
    expect(await run(wrapped, "UPDATE two")).toHaveProperty("value");
  });

  it("without a bound, every refused statement is tried once more", async () => {
    const wrapped = retryingD1(refusingEveryFirstTry() as unknown as D1Database);
    for (const sql of ["UPDATE one", "UPDATE two", "UPDATE three"]) expect(await run(wrapped, sql)).toHaveProperty("value");
  });
});
