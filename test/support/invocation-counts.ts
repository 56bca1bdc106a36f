import { vi } from "vitest";
import { withDatabases } from "../../src/shards";
import { countingD1 } from "./counting-d1";

/** What one invocation asked of the platform, by the kind of cap that bounds it. */
export interface InvocationCounts {
  /** KV operations on SECRETS (get, getWithMetadata, list, put, delete). */
  kv: number;
  /** R2 operations on PAYLOADS (get, head, put, list, delete). */
  r2: number;
  /** SQL statements run on any D1 database, each statement of a batch() counted as one (an upper bound on D1 queries). */
  d1: number;
  /** send and sendBatch calls on the delivery queues. */
  queue: number;
  /** Calls on endpoint-limiter Durable Object stubs. */
  durableObject: number;
  /** fetch() calls: deliveries, connection probes, DNS-over-HTTPS lookups. */
  fetch: number;
}

/** Every outgoing call of an invocation, each of which Cloudflare counts as a subrequest. */
export function subrequestsOf(counts: InvocationCounts): number {
  return counts.kv + counts.r2 + counts.d1 + counts.queue + counts.durableObject + counts.fetch;
}

/** `binding` with each call of a method in `methods` counted into `counts[field]`. */
function countingCalls<T extends object>(binding: T, methods: ReadonlySet<PropertyKey> | "all", counts: InvocationCounts, field: keyof InvocationCounts): T {
  return new Proxy(binding, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (methods === "all" || methods.has(property)) counts[field]++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const KV_OPERATIONS = new Set<PropertyKey>(["get", "getWithMetadata", "list", "put", "delete"]);
const R2_OPERATIONS = new Set<PropertyKey>(["get", "head", "put", "list", "delete", "createMultipartUpload"]);
const QUEUE_SENDS = new Set<PropertyKey>(["send", "sendBatch"]);

/**
 * `base` with every binding an invocation reaches counted (and global fetch while it runs, from
 * the first call of `countFetches` until `stop`). Counts are per env, so one env per invocation.
 */
export function countingInvocation(base: Env) {
  const counts: InvocationCounts = { kv: 0, r2: 0, d1: 0, queue: 0, durableObject: 0, fetch: 0 };
  const databases: Array<ReturnType<typeof countingD1>> = [];
  const limiter = base.ENDPOINT_LIMITER;
  const env = {
    ...withDatabases(base, (db) => {
      const counted = countingD1(db);
      databases.push(counted);
      return counted.db;
    }),
    SECRETS: countingCalls(base.SECRETS, KV_OPERATIONS, counts, "kv"),
    PAYLOADS: countingCalls(base.PAYLOADS, R2_OPERATIONS, counts, "r2"),
    DELIVERIES: countingCalls(base.DELIVERIES, QUEUE_SENDS, counts, "queue"),
    SLOW_DELIVERIES: countingCalls(base.SLOW_DELIVERIES, QUEUE_SENDS, counts, "queue"),
    ENDPOINT_LIMITER: new Proxy(limiter, {
      get(target, property) {
        if (property === "get") return (id: DurableObjectId) => countingCalls(target.get(id), "all", counts, "durableObject");
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }),
  } as Env;
  const realFetch = globalThis.fetch;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation((...args: Parameters<typeof fetch>) => {
    counts.fetch++;
    return realFetch(...args);
  });
  /** The counts so far, D1's summed over every database. */
  const read = (): InvocationCounts => ({ ...counts, d1: databases.reduce((sum, d) => sum + d.statements.length, 0) });
  return { env, read, stop: () => spy.mockRestore() };
}
