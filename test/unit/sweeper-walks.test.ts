import { describe, expect, it } from "vitest";
import { readWalkMarks, type WalkMarks, writeWalkMarks } from "../../src/db/sweeper-walks";

/** A stand-in for a shard's sweeper_walks table: the write's rows ([name, after] as its JSON parameter) are what the read answers. */
function walksTable(rows: Array<{ name: string; after: string | null }> = []) {
  const table = new Map(rows.map((r) => [r.name, r.after]));
  return {
    prepare: () => ({
      all: async () => ({ results: [...table].map(([name, after]) => ({ name, after })) }),
      bind: (json: string) => ({
        run: async () => {
          for (const [name, after] of JSON.parse(json) as Array<[string, string | null]>) table.set(name, after);
        },
      }),
    }),
  } as unknown as D1Database;
}

const FROM_THE_FIRST: WalkMarks = { freshPairs: null, freshBegan: null, purgeDeliveries: null, purgeMessages: null, foldStats: null, purgeStats: null };

describe("the sweeper's walk marks", () => {
  it("a shard never swept reads every walk from the first", async () => {
    expect(await readWalkMarks(walksTable())).toEqual(FROM_THE_FIRST);
  });

  it("reads back every mark as it was written, the ones from the first included", async () => {
    const db = walksTable();
    const marks: WalkMarks = {
      freshPairs: ["tenant-a", "endpoint-b"],
      freshBegan: 1_765_000_000_000,
      purgeDeliveries: ["tenant-c", ""],
      purgeMessages: 4_097,
      foldStats: null,
      purgeStats: ["tenant-d", "endpoint-e"],
    };
    await writeWalkMarks(db, marks);
    expect(await readWalkMarks(db)).toEqual(marks);
  });

  it("a mark that is not its walk's kind of key, or not JSON at all, is read as from the first", async () => {
    const db = walksTable([
      { name: "freshPairs", after: "[\"tenant-a\"]" },
      { name: "freshBegan", after: "1.5" },
      { name: "purgeDeliveries", after: "not json" },
      { name: "purgeMessages", after: "[\"tenant-a\", \"endpoint-b\"]" },
      { name: "foldStats", after: "7" },
      { name: "purgeStats", after: "[1, 2]" },
    ]);
    expect(await readWalkMarks(db)).toEqual(FROM_THE_FIRST);
  });
});
