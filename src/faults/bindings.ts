import type { FaultInjector } from "./injector";
import type { InvocationCaps } from "./invocation-caps";

/**
 * Bindings that fail, or lag, the way Cloudflare's do, as a FaultInjector decides. Each injected
 * error carries the message the real binding throws, so the code under test classifies it exactly
 * as it would in production (src/db/transient.ts for D1, src/platform-errors.ts for the others).
 */

/**
 * D1 answers from the "Debug D1" error list (developers.cloudflare.com/d1/observability/debug-d1/#error-list):
 * an overloaded database refuses the request before running it; a lost connection leaves unknown
 * whether the statement ran, so half of those run it first and then throw.
 */
const D1_REFUSED = "D1_ERROR: D1 DB is overloaded. Requests queued for too long.";
const D1_INTERRUPTED = "D1_ERROR: Network connection lost.";
/** Queues: the documented rate limit, and the overload error workerd's sendBatch throws (cloudflare/workerd#6053). */
const QUEUE_ERRORS = ["Too Many Requests", "Queue is overloaded. Please back off."] as const;
/** R2 error codes (developers.cloudflare.com/r2/api/error-codes/): 10001 InternalError, 10058 TooManyRequests. */
const R2_ERRORS = ["We encountered an internal error. Please try again. (10001)", "Reduce your concurrent request rate for the same object. (10058)"] as const;
/** KV: writes to one key past 1 per second are refused with 429 (developers.cloudflare.com/kv/platform/limits/); reads can meet an unavailable store. */
const KV_ERRORS = { GET: "503 Service Unavailable", PUT: "429 Too Many Requests", DELETE: "429 Too Many Requests" } as const;

const D1_EXECUTE = new Set<PropertyKey>(["first", "all", "run", "raw"]);

/**
 * Calls `run` (`queries` D1 queries) unless the invocation's cap refuses it or a D1 fault is drawn;
 * an interrupted call may have run first.
 */
async function d1Call<T>(faults: FaultInjector, caps: InvocationCaps | undefined, queries: number, run: () => Promise<T>): Promise<T> {
  caps?.chargeD1(queries);
  if (!faults.fails("d1_error")) return run();
  if (faults.pick(["refused", "interrupted"] as const) === "refused") throw new Error(D1_REFUSED);
  if (faults.pick(["unrun", "ran"] as const) === "ran") await run();
  throw new Error(D1_INTERRUPTED);
}

/** A binding's own method, or a pass-through for anything the wrapper does not intercept. */
function passThrough(target: object, property: PropertyKey): unknown {
  const value: unknown = Reflect.get(target, property, target);
  return typeof value === "function" ? value.bind(target) : value;
}

/**
 * `db` whose statement runs (run, all, first, raw) and batches fail at the spec's d1_error_rate, and,
 * with `caps`, once the invocation has made d1_queries_per_invocation queries.
 */
export function faultyD1(db: D1Database, faults: FaultInjector, caps?: InvocationCaps): D1Database {
  const innerOf = new WeakMap<object, D1PreparedStatement>();
  const statement = (inner: D1PreparedStatement): D1PreparedStatement => {
    const wrapped = new Proxy(inner, {
      get(target, property) {
        if (property === "bind") return (...values: unknown[]) => statement(target.bind(...values));
        if (D1_EXECUTE.has(property)) {
          const method = Reflect.get(target, property, target) as (...args: unknown[]) => Promise<unknown>;
          return (...args: unknown[]) => d1Call(faults, caps, 1, () => method.apply(target, args));
        }
        return passThrough(target, property);
      },
    });
    innerOf.set(wrapped, inner);
    return wrapped;
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return (sql: string) => statement(target.prepare(sql));
      if (property === "batch") {
        return (statements: D1PreparedStatement[]) => d1Call(faults, caps, statements.length, () => target.batch(statements.map((s) => innerOf.get(s) ?? s)));
      }
      return passThrough(target, property);
    },
  });
}

/** `queue` whose send and sendBatch fail, unsent, at the spec's queue_error_rate. */
export function faultyQueue<Q extends Queue>(queue: Q, faults: FaultInjector): Q {
  return new Proxy(queue, {
    get(target, property) {
      if (property !== "send" && property !== "sendBatch") return passThrough(target, property);
      const method = Reflect.get(target, property, target) as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        if (faults.fails("queue_error")) throw new Error(`Queue ${property} failed: ${faults.pick(QUEUE_ERRORS)}`);
        return method.apply(target, args);
      };
    },
  });
}

/** `bucket` whose get, put, delete and head fail, undone, at the spec's r2_error_rate. */
export function faultyR2(bucket: R2Bucket, faults: FaultInjector): R2Bucket {
  return new Proxy(bucket, {
    get(target, property) {
      if (property !== "get" && property !== "put" && property !== "delete" && property !== "head") return passThrough(target, property);
      const method = Reflect.get(target, property, target) as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        if (faults.fails("r2_error")) throw new Error(`${property}: ${faults.pick(R2_ERRORS)}`);
        return method.apply(target, args);
      };
    },
  });
}

type KvGetType = "text" | "json" | "arrayBuffer" | "stream";

/** A lagging value (text or null) as `get` returns it for the asked type. */
function asKvValue(value: string | null, type: KvGetType): unknown {
  if (value === null) return null;
  if (type === "json") return JSON.parse(value);
  if (type === "arrayBuffer") return new TextEncoder().encode(value).buffer;
  if (type === "stream") return new Response(value).body;
  return value;
}

/** The type a KV get asks for: its second argument is a type name or `{ type }`. */
function kvGetType(options: unknown): KvGetType {
  if (typeof options === "string") return options as KvGetType;
  return ((options as { type?: KvGetType } | undefined)?.type ?? "text") as KvGetType;
}

/** A value being put, as text, or undefined for a stream (which cannot be kept without reading it). */
function kvText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return new TextDecoder().decode(value);
  return undefined;
}

/**
 * `kv` whose get, getWithMetadata, put and delete fail at the spec's kv_error_rate, and whose reads
 * of a single key lag this isolate's writes to it by kv_stale_seconds (FaultInjector.kvLag). Before
 * its first write to a key it reads what the key holds, which is what a lagging read sees until
 * the write shows. With `caps`, every get, getWithMetadata, put, delete and list counts towards
 * kv_operations_per_invocation, and one past it throws.
 */
export function faultyKv(kv: KVNamespace, faults: FaultInjector, caps?: InvocationCaps): KVNamespace {
  const fail = (operation: keyof typeof KV_ERRORS) => {
    caps?.chargeKv();
    if (faults.fails("kv_error")) throw new Error(`KV ${operation} failed: ${KV_ERRORS[operation]}`);
  };
  const lagging = (key: unknown) => {
    if (typeof key !== "string") return undefined;
    const read = faults.kvLag.laggingRead(key);
    if (read) faults.noteStaleRead();
    return read;
  };
  const write = async (key: string, value: string | null | undefined, apply: () => Promise<void>) => {
    const before = faults.kvLag.knows(key) ? null : await kv.get(key);
    await apply();
    if (value === undefined) faults.kvLag.forget(key);
    else faults.kvLag.recordWrite(key, value, before);
  };
  return new Proxy(kv, {
    get(target, property) {
      switch (property) {
        case "get":
          return async (key: string, options?: unknown) => {
            fail("GET");
            const read = lagging(key);
            return read ? asKvValue(read.value, kvGetType(options)) : target.get(key, options as KVNamespaceGetOptions<"text">);
          };
        case "getWithMetadata":
          return async (key: string, options?: unknown) => {
            fail("GET");
            const read = lagging(key);
            if (read) return { value: asKvValue(read.value, kvGetType(options)), metadata: null, cacheStatus: null };
            return target.getWithMetadata(key, options as KVNamespaceGetOptions<"text">);
          };
        case "put":
          return async (key: string, value: unknown, options?: KVNamespacePutOptions) => {
            fail("PUT");
            await write(key, kvText(value), () => target.put(key, value as string, options));
          };
        case "delete":
          return async (key: string) => {
            fail("DELETE");
            await write(key, null, () => target.delete(key));
          };
        case "list":
          return async (options?: KVNamespaceListOptions) => {
            caps?.chargeKv();
            return target.list(options);
          };
        default:
          return passThrough(target, property);
      }
    },
  });
}
