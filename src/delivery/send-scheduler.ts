/**
 * Which send of a consumer batch goes next, so that one endpoint cannot take every connection of
 * the batch: the next send is the earliest waiting one of the endpoint that holds the fewest slots
 * (below its own cap, its `max_in_flight`). Endpoints with sends waiting share the slots equally; a
 * lone endpoint gets them all. A slow receiver thus holds at most its share, and the rest of the
 * batch keeps going.
 */

/** One send to schedule. */
export interface Job<R> {
  /** Sends to the same key (an endpoint) share its cap and its share of the slots. */
  key: string;
  /** Most sends of this key at once (Infinity when it has no cap of its own). */
  cap: number;
  run: () => Promise<R>;
}

/**
 * Runs `jobs` with at most `slots` at once, in order except where the sharing above picks another.
 * `onDone` sees each result as it comes (the consumer records them while the batch goes on).
 * Resolves when every job has finished.
 */
export async function runFairly<R>(jobs: Array<Job<R>>, slots: number, onDone: (index: number, result: R) => void): Promise<void> {
  const waiting = jobs.map((_, index) => index);
  const running = new Map<string, number>();
  const active = new Map<number, Promise<number>>();

  /** The position in `waiting` of the job to start now, or -1 when every waiting job's key is at its cap. */
  const next = (): number => {
    let best = -1;
    let fewest = Infinity;
    waiting.forEach((index, position) => {
      const held = running.get(jobs[index]!.key) ?? 0;
      if (held < jobs[index]!.cap && held < fewest) [best, fewest] = [position, held];
    });
    return best;
  };

  while (waiting.length > 0 || active.size > 0) {
    while (active.size < slots) {
      const position = next();
      if (position < 0) break;
      const [index] = waiting.splice(position, 1) as [number];
      const { key, run } = jobs[index]!;
      running.set(key, (running.get(key) ?? 0) + 1);
      active.set(
        index,
        run().then((result) => {
          running.set(key, running.get(key)! - 1);
          onDone(index, result);
          return index;
        }),
      );
    }
    if (active.size === 0) break;
    active.delete(await Promise.race(active.values()));
  }
}
