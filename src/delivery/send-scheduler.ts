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
 * Runs jobs with at most `slots` at once, in order except where the sharing above picks another.
 * `onDone` sees each result as it comes (the consumer records them while the batch goes on). A
 * key's waiting jobs can be withdrawn (the consumer forwards a receiver's unstarted sends once it
 * turned slow), so nothing waits behind a receiver that holds its slots.
 */
export class FairScheduler<R> {
  readonly #jobs: Array<Job<R>>;
  readonly #slots: number;
  readonly #onDone: (index: number, result: R) => void;
  readonly #waiting: number[];
  readonly #running = new Map<string, number>();
  readonly #active = new Map<number, Promise<number>>();
  #wake: () => void = () => {};

  constructor(jobs: Array<Job<R>>, slots: number, onDone: (index: number, result: R) => void) {
    [this.#jobs, this.#slots, this.#onDone] = [jobs, slots, onDone];
    this.#waiting = jobs.map((_, index) => index);
  }

  /** Removes the waiting (unstarted) jobs of `key` and returns their indexes; they never run. */
  withdraw(key: string): number[] {
    const withdrawn = this.#waiting.filter((index) => this.#jobs[index]!.key === key);
    if (withdrawn.length > 0) this.#waiting.splice(0, this.#waiting.length, ...this.#waiting.filter((index) => this.#jobs[index]!.key !== key));
    this.#wake();
    return withdrawn;
  }

  /** Whether no job is left waiting for a slot. */
  get drained(): boolean {
    return this.#waiting.length === 0;
  }

  /** Runs the jobs; resolves when every job not withdrawn has finished. */
  async run(): Promise<void> {
    while (this.#waiting.length > 0 || this.#active.size > 0) {
      this.#startWhatFits();
      if (this.#active.size === 0) break;
      const woken = new Promise<void>((resolve) => (this.#wake = resolve));
      const index = await Promise.race([...this.#active.values(), woken]);
      if (typeof index === "number") this.#active.delete(index);
    }
  }

  #startWhatFits(): void {
    while (this.#active.size < this.#slots) {
      const position = this.#next();
      if (position < 0) return;
      const [index] = this.#waiting.splice(position, 1) as [number];
      const { key, run } = this.#jobs[index]!;
      this.#running.set(key, (this.#running.get(key) ?? 0) + 1);
      this.#active.set(
        index,
        run().then((result) => {
          this.#running.set(key, this.#running.get(key)! - 1);
          this.#onDone(index, result);
          return index;
        }),
      );
    }
  }

  /** The position in the waiting list of the job to start now, or -1 when every waiting job's key is at its cap. */
  #next(): number {
    let best = -1;
    let fewest = Infinity;
    this.#waiting.forEach((index, position) => {
      const held = this.#running.get(this.#jobs[index]!.key) ?? 0;
      if (held < this.#jobs[index]!.cap && held < fewest) [best, fewest] = [position, held];
    });
    return best;
  }
}
