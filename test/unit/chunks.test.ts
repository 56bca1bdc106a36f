import { describe, expect, it } from "vitest";
import { countInChunks, countInRuns, inChunks, inRuns, runsOf } from "../../src/db/chunks";

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

describe("inRuns", () => {
  /** Ranges named by letter, each holding `rows[letter]` rows; a call answers the next `size` rows of its run's ranges and notes the run and size asked. */
  function ranges(rows: Record<string, number>) {
    const left = { ...rows };
    const calls: Array<[string[], number]> = [];
    const work = async (run: string, size: number) => {
      const names = JSON.parse(run) as string[];
      calls.push([names, size]);
      const got: string[] = [];
      for (const name of names) while (got.length < size && left[name]! > 0) got.push(`${name}${left[name]!--}`);
      return got;
    };
    return { calls, work };
  }

  it("does every range's work, each run of ranges in chunks, one run after the other", async () => {
    const { calls, work } = ranges({ a: 3, b: 0, c: 2 });
    expect(await inRuns(["a", "b", "c"], 2, 100, 2, work)).toEqual(["a3", "a2", "a1", "c2", "c1"]);
    expect(calls).toEqual([[["a", "b"], 2], [["a", "b"], 2], [["c"], 2], [["c"], 2]]);
  });

  it("stops at the limit, asking the last chunk for no more than it leaves", async () => {
    const { calls, work } = ranges({ a: 3, b: 3 });
    expect(await inRuns(["a", "b"], 1, 4, 2, work)).toEqual(["a3", "a2", "a1", "b3"]);
    expect(calls.at(-1)).toEqual([["b"], 1]);
  });

  it("asks nothing of an empty list of ranges", async () => {
    const { calls, work } = ranges({});
    expect(await inRuns([], 2, 100, 2, work)).toEqual([]);
    expect(calls).toEqual([]);
  });
});

describe("counting chunks and runs: work that answers how many rows it did, as a DELETE's meta.changes", () => {
  it("countInChunks adds up what each chunk did and stops at the first that did fewer than asked", async () => {
    const { asked, chunk } = rowsUpTo(70);
    expect(await countInChunks(1000, 32, async (size) => (await chunk(size)).length)).toBe(70);
    expect(asked).toEqual([32, 32, 32]);
  });

  it("countInChunks asks for no more than the limit leaves, and stops there", async () => {
    const { asked, chunk } = rowsUpTo(1000);
    expect(await countInChunks(70, 32, async (size) => (await chunk(size)).length)).toBe(70);
    expect(asked).toEqual([32, 32, 6]);
  });

  it("countInRuns adds up every run's chunks, one run after the other, and stops at the limit", async () => {
    const left: Record<string, number> = { a: 3, b: 0, c: 5 };
    const calls: Array<[string[], number]> = [];
    const deleted = await countInRuns(["a", "b", "c"], 2, 6, 2, async (run, size) => {
      const names = JSON.parse(run) as string[];
      calls.push([names, size]);
      let done = 0;
      for (const name of names) {
        const taken = Math.min(size - done, left[name]!);
        left[name]! -= taken;
        done += taken;
      }
      return done;
    });
    expect(deleted).toBe(6);
    expect(calls).toEqual([[["a", "b"], 2], [["a", "b"], 2], [["c"], 2], [["c"], 1]]);
  });
});
