/**
 * What another location sees of a KV key shortly after this isolate wrote it.
 *
 * Workers KV caches values near readers; a change "may take up to 60 seconds or more" to be visible
 * in other locations (developers.cloudflare.com/kv/concepts/how-kv-works/). KvLag plays such a
 * location: for `windowMs` after a write, a read sees the value the key held before the writes of
 * that window (null when it held none). It remembers only writes made through it, in this isolate.
 */
export class KvLag {
  /** Per key, its values oldest first; the first is what the key held before this isolate's first write (at -Infinity). */
  readonly #history = new Map<string, Array<{ value: string | null; at: number }>>();

  /**
   * @param windowMs how long a write stays invisible to a lagging read (ms); 0 = never
   * @param clock epoch ms
   * @param maxKeys keys remembered at most; past it the key written longest ago is forgotten (its reads are then fresh)
   */
  constructor(
    private readonly windowMs: number,
    private readonly clock: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  /** Whether a write to `key` made through this KvLag is remembered (else a writer first notes what the key holds). */
  knows(key: string): boolean {
    return this.#history.has(key);
  }

  /**
   * Records a write of `value` (null = delete) to `key` now. `before`, what the key held before the
   * write, is needed for a key not yet known (knows(key) false).
   */
  recordWrite(key: string, value: string | null, before: string | null = null): void {
    const history = this.#history.get(key) ?? [{ value: before, at: Number.NEGATIVE_INFINITY }];
    this.#history.delete(key);
    if (this.#history.size >= this.maxKeys) this.#history.delete(this.#history.keys().next().value!);
    history.push({ value, at: this.clock() });
    this.#history.set(key, history);
  }

  /** Forgets `key`: its reads are fresh until it is written again (a write whose value cannot be kept as text). */
  forget(key: string): void {
    this.#history.delete(key);
  }

  /**
   * What a lagging read of `key` sees now: undefined when it sees what the binding holds (no write
   * within the window), else `{ value }`, the newest value written before the window (null for none).
   */
  laggingRead(key: string): { value: string | null } | undefined {
    const history = this.#history.get(key);
    if (!history || this.windowMs <= 0) return undefined;
    const cutoff = this.clock() - this.windowMs;
    if (history.at(-1)!.at <= cutoff) return undefined;
    let visible = 0;
    while (visible + 1 < history.length && history[visible + 1]!.at <= cutoff) visible++;
    history.splice(0, visible);
    return { value: history[0]!.value };
  }
}
