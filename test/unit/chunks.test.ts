import { describe, expect, it } from "vitest";
import { countInChunks, type KeyPage, inChunks, runsOf, walkRanges, type Walked } from "../../src/db/chunks";
import { QueryBudget } from "../../src/db/query-budget";

/** A chunk function over `total` rows: answers the next `size` of them (numbered from 0) and notes each size asked. */
function rowsUpTo(total: number) {
  const asked: number[] = [];
  let next = 0;
  const chunk = async (size: number) => {
    asked.push(size);
    const rows = Array.from({ length: Math.max(0, Math.min(size, total - next)) }, (_, i) => next + i);
    next += rows.length;
    return rows;
  };
  return { asked, chunk };
}

describe("inChunks", () => {
  it("does all the work in chunks of the given size and stops at the first short chunk", async () => {
    const { asked, chunk } = rowsUpTo(70);
    expect(await inChunks(1000, 32, chunk)).toEqual(Array.from({ length: 70 }, (_, i) => i));
    expect(asked).toEqual([32, 32, 32]);
  });

  it("asks for no more than the limit leaves, and stops there", async () => {
    const { asked, chunk } = rowsUpTo(1000);
    expect(await inChunks(70, 32, chunk)).toHaveLength(70);
    expect(asked).toEqual([32, 32, 6]);
  });

  it("asks once more after a chunk that came back exactly full", async () => {
    const { asked, chunk } = rowsUpTo(64);
    expect(await inChunks(1000, 32, chunk)).toHaveLength(64);
    expect(asked).toEqual([32, 32, 32]);
  });
});

describe("runsOf", () => {
  it("cuts a list into consecutive runs of at most the size, the last one shorter", () => {
    expect(runsOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("cuts an empty list into no runs", () => {
    expect(runsOf([], 50)).toEqual([]);
  });
});

/** A keyed table of `count` ranges "k00", "k01", …: `page` answers the keys after a key, as a keyset query would, and notes each `after` asked. */
function keyed(count: number) {
  const keys = Array.from({ length: count }, (_, i) => `k${String(i).padStart(2, "0")}`);
  const asked: Array<string | null> = [];
  const page: KeyPage<string> = async (after, size) => {
    asked.push(after);
    return keys.filter((k) => after === null || k > after).slice(0, size);
  };
  return { keys, asked, page };
}

describe("walkRanges", () => {
  it("hands every key to the runs in order and ends with no mark, so the next walk starts from the first key", async () => {
    const { keys, page } = keyed(7);
    const runs: string[][] = [];
    const walked = await walkRanges(null, page, { page: 3, run: 2 }, new QueryBudget(Infinity), async (run) => (runs.push(run), true));
    expect(runs.flat()).toEqual(keys);
    expect(runs.every((run) => run.length <= 2)).toBe(true);
    expect(walked).toEqual({ after: null, end: true });
  });

  it("lists from after its mark", async () => {
    const { page } = keyed(5);
    const runs: string[][] = [];
    await walkRanges("k02", page, { page: 10, run: 10 }, new QueryBudget(Infinity), async (run) => (runs.push(run), true));
    expect(runs.flat()).toEqual(["k03", "k04"]);
  });

  it("charges each page a query and stops before a page the budget has no room for, with its first run's query, marking the last key it finished", async () => {
    const { asked, page } = keyed(10);
    const budget = new QueryBudget(4);
    const walked = await walkRanges(null, page, { page: 3, run: 3 }, budget, async () => (budget.charge(), true));
    expect(asked).toEqual([null, "k02"]);
    expect(walked).toEqual({ after: "k05", end: false });
    expect(budget.left).toBe(0);
  });

  it("marks the key before a run that stopped short, so the next walk does that run again", async () => {
    const { page } = keyed(6);
    const walked = await walkRanges(null, page, { page: 6, run: 2 }, new QueryBudget(Infinity), async (run) => run[0] !== "k02");
    expect(walked).toEqual({ after: "k01", end: false });
  });

  it("lists no page that the budget leaves no query to work on", async () => {
    const { asked, page } = keyed(4);
    expect(await walkRanges(null, page, { page: 2, run: 2, queries: 3 }, new QueryBudget(3), async () => true)).toEqual({ after: null, end: false });
    expect(asked).toEqual([]);
  });

  it("keeps its mark when it could not list a single page", async () => {
    const { asked, page } = keyed(4);
    expect(await walkRanges("k01", page, { page: 2, run: 2 }, new QueryBudget(0), async () => true)).toEqual({ after: "k01", end: false });
    expect(asked).toEqual([]);
  });

  it("covers every key over successive walks of a small budget, each resuming at the last one's mark, and wraps to the first key at the end", async () => {
    const { keys, page } = keyed(11);
    const seen: string[] = [];
    let mark: string | null = null;
    let ends = 0;
    for (let sweep = 0; sweep < 4; sweep++) {
      const budget = new QueryBudget(4);
      const walked: Walked<string> = await walkRanges(mark, page, { page: 2, run: 2 }, budget, async (run) => (budget.charge(), seen.push(...run), true));
      mark = walked.after;
      if (walked.end) ends++;
    }
    expect(seen.slice(0, 11)).toEqual(keys);
    expect(seen.slice(11, 13)).toEqual(["k00", "k01"]);
    expect(ends).toBe(1);
  });
});

describe("counting chunks: work that answers how many rows it did, as a DELETE's meta.changes", () => {
  it("adds up what each chunk did and is complete at the first that did fewer than asked", async () => {
    const { asked, chunk } = rowsUpTo(70);
    expect(await countInChunks(1000, 32, async (size) => (await chunk(size)).length)).toEqual({ done: 70, complete: true });
    expect(asked).toEqual([32, 32, 32]);
  });

  it("asks for no more than the limit leaves, and stops there, not complete", async () => {
    const { asked, chunk } = rowsUpTo(1000);
    expect(await countInChunks(70, 32, async (size) => (await chunk(size)).length)).toEqual({ done: 70, complete: false });
    expect(asked).toEqual([32, 32, 6]);
  });

  it("charges each chunk a query and stops, not complete, before a chunk the budget has no room for", async () => {
    const { asked, chunk } = rowsUpTo(1000);
    const budget = new QueryBudget(2);
    expect(await countInChunks(1000, 10, async (size) => (await chunk(size)).length, budget)).toEqual({ done: 20, complete: false });
    expect(asked).toEqual([10, 10]);
    expect(budget.left).toBe(0);
  });

  it("begins a chunk of several queries only when all of them fit", async () => {
    const { asked, chunk } = rowsUpTo(1000);
    const budget = new QueryBudget(5);
    const chunked = await countInChunks(1000, 10, async (size) => {
      budget.charge(2);
      return (await chunk(size)).length;
    }, budget, 3);
    expect(chunked).toEqual({ done: 10, complete: false });
    expect(asked).toEqual([10]);
    expect(budget.left).toBe(2);
  });
});

describe("inChunks under a budget", () => {
  it("answers the rows of the chunks the budget allowed", async () => {
    const { chunk } = rowsUpTo(100);
    expect(await inChunks(1000, 10, chunk, new QueryBudget(3))).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});
