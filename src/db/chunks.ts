/**
 * Work on a growing table in small queries. D1 runs one query at a time per database
 * (https://developers.cloudflare.com/d1/platform/limits/), so one query that walks thousands of rows
 * holds up every enqueue and consumer write on its shard; the same work as queries of at most a
 * couple of hundred rows each lets them in between (issue 25: ≤ ~250 D1 rows read per query).
 * Each query is charged to a QueryBudget first, so work that may outgrow an invocation's 1,000 D1
 * queries stops between two queries instead (src/db/query-budget.ts).
 */

import { type QueryBudget, unlimitedQueries } from "./query-budget";

/** How far chunked work got: rows done, and whether it got to the end of its rows (not stopped by its limit or its budget). */
export interface Chunked {
  done: number;
  complete: boolean;
}

/**
 * Runs `chunk(size)` until it does fewer rows than asked (nothing is left), `limit` rows are done or
 * `budget` has no room for another chunk, asking each time for `size` rows at most (fewer for the
 * last one up to `limit`); `chunk` answers how many rows it did (a DELETE's meta.changes). Each
 * chunk is charged one query; one that sends more (`queries`, e.g. a read and a batch of two
 * writes) charges the rest itself, and is only begun when all of them fit. Sequential, so each
 * chunk sees the writes of the ones before.
 */
export async function countInChunks(
  limit: number,
  size: number,
  chunk: (size: number) => Promise<number>,
  budget: QueryBudget = unlimitedQueries(),
  queries = 1,
): Promise<Chunked> {
  let done = 0;
  while (done < limit) {
    if (!budget.allows(queries)) return { done, complete: false };
    budget.charge();
    const asked = Math.min(size, limit - done);
    const got = await chunk(asked);
    done += got;
    if (got < asked) return { done, complete: true };
  }
  return { done, complete: false };
}

/** countInChunks for a `chunk` that answers its rows: returns every row, in order. */
export async function inChunks<T>(limit: number, size: number, chunk: (size: number) => Promise<T[]>, budget?: QueryBudget): Promise<T[]> {
  const rows: T[] = [];
  await countInChunks(
    limit,
    size,
    async (asked) => {
      const got = await chunk(asked);
      rows.push(...got);
      return got.length;
    },
    budget,
  );
  return rows;
}

/** `items` cut into consecutive runs of at most `size`. */
export function runsOf<T>(items: T[], size: number): T[][] {
  const runs: T[][] = [];
  for (let i = 0; i < items.length; i += size) runs.push(items.slice(i, i + size));
  return runs;
}

/** One page of a keyset walk: the next keys after `after` (null: from the first), `size` at most, in key order, in one query. */
export type KeyPage<K> = (after: K | null, size: number) => Promise<K[]>;

/** Where a walk stopped: `after` is where the next one resumes (null: from the first key), `end` whether it got to the last key. */
export interface Walked<K> {
  after: K | null;
  end: boolean;
}

/**
 * A resumable keyset walk over ranges (a shard's (tenant, endpoint) pairs, endpoints or tenant
 * buckets): lists the keys after `after`, `pageSize` a query, and hands them to `run` `runSize` at
 * a time (a query that seeks every range of its run even where nothing is left: the run size bounds
 * those seeks), until `run` answers false (it stopped short: its limit or the budget ran out), the
 * budget has no room for the next page and the first step of a run after it (`sizes.queries`, 1
 * unless a step sends more: a page it could not work on would be listed again next time for nothing),
 * or the keys end. The page queries are charged to `budget`; `run` charges its own. When the keys
 * end the next walk starts again from the first (`after` null).
 */
export async function walkRanges<K>(
  after: K | null,
  page: KeyPage<K>,
  sizes: { page: number; run: number; queries?: number },
  budget: QueryBudget,
  run: (keys: K[]) => Promise<boolean>,
): Promise<Walked<K>> {
  let reached = after;
  for (;;) {
    if (!budget.allows(1 + (sizes.queries ?? 1))) return { after: reached, end: false };
    budget.charge();
    const keys = await page(reached, sizes.page);
    for (const keysOfRun of runsOf(keys, sizes.run)) {
      if (!(await run(keysOfRun))) return { after: reached, end: false };
      reached = keysOfRun.at(-1)!;
    }
    if (keys.length < sizes.page) return { after: null, end: true };
  }
}

/** How far a resumable pass over ranges got: rows it did, and where the next pass resumes (after this key; null: from the first). */
export interface Pass<K> {
  done: number;
  after: K | null;
}
