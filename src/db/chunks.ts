/**
 * Work on a growing table in small queries. D1 runs one query at a time per database
 * (https://developers.cloudflare.com/d1/platform/limits/), so one query that walks thousands of rows
 * holds up every enqueue and consumer write on its shard; the same work as queries of at most a
 * couple of hundred rows each lets them in between (issue 25: ≤ ~250 D1 rows read per query).
 */

/**
 * Runs `chunk(size)` until it does fewer rows than asked (nothing is left) or `limit` rows are done,
 * asking each time for `size` rows at most (fewer for the last one up to `limit`); `chunk` answers how
 * many rows it did (a DELETE's meta.changes). Returns how many were done in all; sequential, so each
 * chunk sees the writes of the ones before.
 */
export async function countInChunks(limit: number, size: number, chunk: (size: number) => Promise<number>): Promise<number> {
  let done = 0;
  while (done < limit) {
    const asked = Math.min(size, limit - done);
    const got = await chunk(asked);
    done += got;
    if (got < asked) break;
  }
  return done;
}

/** countInChunks for a `chunk` that answers its rows: returns every row, in order. */
export async function inChunks<T>(limit: number, size: number, chunk: (size: number) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  await countInChunks(limit, size, async (asked) => {
    const got = await chunk(asked);
    rows.push(...got);
    return got.length;
  });
  return rows;
}

/** `items` cut into consecutive runs of at most `size`. */
export function runsOf<T>(items: T[], size: number): T[][] {
  const runs: T[][] = [];
  for (let i = 0; i < items.length; i += size) runs.push(items.slice(i, i + size));
  return runs;
}

/**
 * Runs `work(run, size)` over `items` cut into runs of at most `runSize` (each passed as JSON text),
 * each run in chunks of at most `size` rows (countInChunks: `work` answers how many rows it did),
 * until `limit` rows are done or every run is. For a pass over many ranges (a shard's endpoints,
 * pairs or tenant buckets) whose every query seeks each range of its run even where nothing is
 * left: the run size bounds those seeks. Returns how many rows were done in all.
 */
export async function countInRuns<I>(items: I[], runSize: number, limit: number, size: number, work: (run: string, size: number) => Promise<number>): Promise<number> {
  let done = 0;
  for (const run of runsOf(items, runSize)) {
    if (done >= limit) break;
    const json = JSON.stringify(run);
    done += await countInChunks(limit - done, size, (asked) => work(json, asked));
  }
  return done;
}

/** countInRuns for a `work` that answers its rows: returns every row, in order. */
export async function inRuns<I, T>(items: I[], runSize: number, limit: number, size: number, work: (run: string, size: number) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  await countInRuns(items, runSize, limit, size, async (run, asked) => {
    const got = await work(run, asked);
    rows.push(...got);
    return got.length;
  });
  return rows;
}
