import { describe, expect, it } from "vitest";
import { IsolateCache, type IsolateCacheOptions } from "../../src/lib/isolate-cache";

/** A cache on a clock the test moves by hand. */
function cacheAt(options: Partial<IsolateCacheOptions> = {}) {
  const clock = { now: 1_000_000 };
  const cache = new IsolateCache<string, string>({ ttlMs: 10_000, maxEntries: 3, clock: () => clock.now, ...options });
  return { cache, clock };
}

/** A load the test finishes by hand, counting how often it was started. */
function manualLoad(value: string) {
  const load = { calls: 0, finish: () => {}, fail: (_error: Error) => {} };
  const start = () =>
    new Promise<string>((resolve, reject) => {
      load.calls += 1;
      load.finish = () => resolve(value);
      load.fail = reject;
    });
  return { load, start };
}

describe("an isolate cache", () => {
  it("returns a value until its ttl has passed, and nothing from then on", () => {
    const { cache, clock } = cacheAt();
    cache.set("tenant", "shard 1");
    clock.now += 9_999;
    expect(cache.get("tenant")).toBe("shard 1");
    clock.now += 1;
    expect(cache.get("tenant")).toBeUndefined();
  });

  it("lets one entry live for its own ttl", () => {
    const { cache, clock } = cacheAt();
    cache.set("host", "192.0.2.1", { ttlMs: 500 });
    clock.now += 500;
    expect(cache.get("host")).toBeUndefined();
  });

  it("keeps an entry with an infinite ttl until it is forgotten", () => {
    const { cache, clock } = cacheAt({ ttlMs: Infinity });
    cache.set("tenant", "shard 1");
    clock.now += 365 * 86_400_000;
    expect(cache.get("tenant")).toBe("shard 1");
  });

  it("still hands out an expired value to a refresh that may reuse it", () => {
    const { cache, clock } = cacheAt();
    cache.set("type", "compiled schema");
    clock.now += 10_000;
    expect(cache.getStale("type")).toBe("compiled schema");
  });

  it("drops the oldest entry when a new one would pass the size bound", () => {
    const { cache } = cacheAt();
    for (const key of ["a", "b", "c", "d"]) cache.set(key, key);
    expect([cache.get("a"), cache.get("b"), cache.get("d"), cache.size]).toEqual([undefined, "b", "d", 3]);
  });

  it("counts an entry set again as the newest", () => {
    const { cache } = cacheAt();
    for (const key of ["a", "b", "c", "a", "d"]) cache.set(key, key);
    expect([cache.get("a"), cache.get("b")]).toEqual(["a", undefined]);
  });

  it("empties itself when full if told to, keeping only the new entry", () => {
    const { cache } = cacheAt({ whenFull: "clear" });
    for (const key of ["a", "b", "c", "d"]) cache.set(key, key);
    expect([cache.get("a"), cache.get("c"), cache.get("d"), cache.size]).toEqual([undefined, undefined, "d", 1]);
  });

  it("does not keep a read that a forget of its key overtook", () => {
    const { cache } = cacheAt();
    const read = cache.readStarts();
    cache.forget("type");
    expect(cache.set("type", "before the edit", { read })).toBe(false);
    expect(cache.get("type")).toBeUndefined();
  });

  it("does not keep a read that clearing the cache overtook", () => {
    const { cache } = cacheAt();
    const read = cache.readStarts();
    cache.clear();
    cache.set("catalogue", "before the edit", { read });
    expect(cache.get("catalogue")).toBeUndefined();
  });

  it("does not keep a read that forgetting matching entries overtook", () => {
    const { cache } = cacheAt();
    const read = cache.readStarts();
    cache.forgetWhere((value) => value === "tenant-a");
    cache.set("key hash", "tenant-a", { read });
    expect(cache.get("key hash")).toBeUndefined();
  });

  it("keeps a read that no forget overtook", () => {
    const { cache } = cacheAt();
    const read = cache.readStarts();
    expect(cache.set("type", "fresh", { read })).toBe(true);
    expect(cache.get("type")).toBe("fresh");
  });

  it("forgets only the entries that match", () => {
    const { cache } = cacheAt();
    cache.set("k1", "tenant-a");
    cache.set("k2", "tenant-b");
    cache.forgetWhere((value) => value === "tenant-a");
    expect([cache.get("k1"), cache.get("k2")]).toEqual([undefined, "tenant-b"]);
  });

  it("shares one load among concurrent reads of one key", async () => {
    const { cache } = cacheAt();
    const { load, start } = manualLoad("key");
    const reads = [cache.load("secret", start), cache.load("secret", start)];
    load.finish();
    expect(await Promise.all(reads)).toEqual(["key", "key"]);
    expect(load.calls).toBe(1);
  });

  it("serves a loaded value from the cache without loading again", async () => {
    const { cache } = cacheAt();
    const { load, start } = manualLoad("key");
    const first = cache.load("secret", start);
    load.finish();
    await first;
    expect(await cache.load("secret", start)).toBe("key");
    expect(load.calls).toBe(1);
  });

  it("loads again after a load failed", async () => {
    const { cache } = cacheAt();
    const { load, start } = manualLoad("key");
    const failed = cache.load("secret", start);
    load.fail(new Error("import failed"));
    await expect(failed).rejects.toThrow("import failed");
    const retried = cache.load("secret", start);
    load.finish();
    expect(await retried).toBe("key");
    expect(load.calls).toBe(2);
  });

  it("starts a new load for a read after a forget instead of joining the overtaken one", async () => {
    const { cache } = cacheAt();
    const before = manualLoad("old");
    const after = manualLoad("new");
    const overtaken = cache.load("catalogue", before.start);
    cache.forget("catalogue");
    const fresh = cache.load("catalogue", after.start);
    before.load.finish();
    after.load.finish();
    expect([await overtaken, await fresh, cache.get("catalogue")]).toEqual(["old", "new", "new"]);
  });

  it("does not keep a load that a forget overtook", async () => {
    const { cache } = cacheAt();
    const { load, start } = manualLoad("old");
    const overtaken = cache.load("catalogue", start);
    cache.forget("catalogue");
    load.finish();
    await overtaken;
    expect(cache.get("catalogue")).toBeUndefined();
  });
});
