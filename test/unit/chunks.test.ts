import { describe, expect, it } from "vitest";
import { inChunks, runsOf } from "../../src/db/chunks";

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
