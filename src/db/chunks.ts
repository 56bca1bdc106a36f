/**
 * Work on a growing table in small queries. D1 runs one query at a time per database
 * (https://developers.cloudflare.com/d1/platform/limits/), so one query that walks thousands of rows
 * holds up every enqueue and consumer write on its shard; the same work as queries of at most a
 * couple of hundred rows each lets them in between (issue 25: ≤ ~250 D1 rows read per query).
 */

/**
 * Runs `chunk(size)` until it answers fewer rows than asked (nothing is left) or `limit` rows are
 * done, asking each time for `size` rows at most (fewer for the last one up to `limit`). Returns
 * every row, in order; sequential, so each chunk sees the writes of the ones before.
 */
export async function inChunks<T>(limit: number, size: number, chunk: (size: number) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  while (rows.length < limit) {
    const asked = Math.min(size, limit - rows.length);
    const got = await chunk(asked);
    rows.push(...got);
    if (got.length < asked) break;
  }
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
 * each run in chunks of at most `size` rows (inChunks), until `limit` rows are done or every run
 * is. For a pass over many ranges (a shard's endpoints, pairs or tenant buckets) whose every query
 * seeks each range of its run even where nothing is left: the run size bounds those seeks.
 * Returns every row, in order.
 */
export async function inRuns<I, T>(items: I[], runSize: number, limit: number, size: number, work: (run: string, size: number) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  for (const run of runsOf(items, runSize)) {
    if (rows.length >= limit) break;
    const json = JSON.stringify(run);
    rows.push(...(await inChunks(limit - rows.length, size, (asked) => work(json, asked))));
  }
  return rows;
}
