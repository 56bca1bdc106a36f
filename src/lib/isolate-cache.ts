/**
 * A cache that lives as long as one Worker isolate: what a request read from D1, KV or DNS, or a
 * key it imported, kept for the next requests the same isolate handles. Isolates share nothing, so
 * an edit forgets its entries here at once and other isolates see it when theirs expire.
 *
 * Three rules every such cache needs, kept here once:
 * - an entry lives `ttlMs` (ms; Infinity = until evicted or forgotten);
 * - at most `maxEntries` entries: when full, a new entry drops the oldest one (`whenFull:
 *   "drop-oldest"`) or empties the cache (`"clear"`, cheapest when entries are cheap to read again);
 * - a read that an edit overtook is not kept: every forget bumps the cache's generation, and a value
 *   set with the generation its read started at (`readStarts()`) is dropped if it changed since.
 *   Without this a read in flight during an edit would store what the edit replaced, for a whole TTL.
 */

/** The generation a read started at (from readStarts), to hand to set. */
export type ReadTicket = number & { readonly __readTicket: unique symbol };

export interface IsolateCacheOptions {
  /** How long an entry lives, ms (Infinity: no expiry). set may give an entry its own. */
  ttlMs: number;
  /** Most entries kept. */
  maxEntries: number;
  /** What a set into a full cache drops: the oldest entry (default) or every entry. */
  whenFull?: "drop-oldest" | "clear";
  /** The clock, epoch ms; tests pass a fake one. */
  clock?: () => number;
}

interface Entry<V> {
  value: V;
  /** Epoch ms after which the entry is stale. */
  until: number;
}

/** See the module comment. Keys compare as Map keys do. */
export class IsolateCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly loading = new Map<K, Promise<V>>();
  private generation = 0;
  private readonly clock: () => number;

  constructor(private readonly options: IsolateCacheOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** How many entries are held, stale ones included. */
  get size(): number {
    return this.entries.size;
  }

  /** The value of `key` if it has not expired at `now` (epoch ms). */
  get(key: K, now = this.clock()): V | undefined {
    const entry = this.entries.get(key);
    return entry && entry.until > now ? entry.value : undefined;
  }

  /** The value of `key` even if expired (until evicted): what a refresh may reuse when unchanged. */
  getStale(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** The generation a read starts at: pass it to set, which then drops what an edit overtook. */
  readStarts(): ReadTicket {
    return this.generation as ReadTicket;
  }

  /**
   * Keeps `value` for `key`, as the newest entry, unless a forget happened since `options.read`.
   * @param options.ttlMs this entry's lifetime (ms) instead of the cache's
   * @param options.now epoch ms the lifetime counts from
   * @returns whether the value was kept
   */
  set(key: K, value: V, options: { read?: ReadTicket; ttlMs?: number; now?: number } = {}): boolean {
    if (options.read !== undefined && options.read !== this.generation) return false;
    this.entries.delete(key);
    if (this.entries.size >= this.options.maxEntries) this.makeRoom();
    this.entries.set(key, { value, until: (options.now ?? this.clock()) + (options.ttlMs ?? this.options.ttlMs) });
    return true;
  }

  /**
   * The value of `key`, loading it with `load` when missing or expired. Concurrent calls for one key
   * share one load; a failed load is not kept (the next call tries again), nor one a forget overtook.
   * @param now epoch ms the entry's freshness is judged at and its lifetime counts from
   */
  load(key: K, load: () => Promise<V>, now = this.clock()): Promise<V> {
    const hit = this.get(key, now);
    if (hit !== undefined) return Promise.resolve(hit);
    let pending = this.loading.get(key);
    if (!pending) {
      const read = this.readStarts();
      pending = load().then((value) => {
        this.set(key, value, { read, now });
        return value;
      });
      const settled = () => {
        if (this.loading.get(key) === pending) this.loading.delete(key);
      };
      pending.then(settled, settled);
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Forgets `key` (after an edit of what it holds); reads in flight are not kept. */
  forget(key: K): void {
    this.entries.delete(key);
    this.loading.delete(key);
    this.generation += 1;
  }

  /** Forgets every entry for which `matches` holds; reads in flight are not kept. */
  forgetWhere(matches: (value: V, key: K) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value, key)) this.entries.delete(key);
    this.loading.clear();
    this.generation += 1;
  }

  /** Forgets everything; reads in flight are not kept. */
  clear(): void {
    this.entries.clear();
    this.loading.clear();
    this.generation += 1;
  }

  private makeRoom(): void {
    if (this.options.whenFull === "clear") this.entries.clear();
    else this.entries.delete(this.entries.keys().next().value!);
  }
}
