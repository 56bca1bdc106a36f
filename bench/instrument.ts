import { withDatabases } from "../src/shards";

/**
 * Counts what each handler costs in D1, KV, Queues and R2 calls, so `npm run bench` can report cost
 * per enqueued message and per delivered webhook from real counts. Only the bench's own Worker
 * entry (bench/worker.ts) uses it: every handler sees its bindings through counting proxies, and
 * `GET /_bench/counters` answers the totals of this isolate (a local `wrangler dev` runs one).
 */

/** What one kind of handler (API requests, queue batches, …) has cost so far in this isolate. */
export interface Counters {
  /** Handler invocations: HTTP requests, queue batches or cron runs. */
  invocations: number;
  /** Invocations still running, so a reader can wait for quiet before reading the totals. */
  inFlight: number;
  /** Queue messages handed to the queue handler. */
  messagesIn: number;
  /** Calls that went to D1: one per first/run/all/raw, one per batch. */
  d1RoundTrips: number;
  /** SQL statements those calls carried (a batch carries several). */
  d1Statements: number;
  /** D1's own meta of rows read and written (D1's billing units); first() does not expose them. */
  d1RowsRead: number;
  d1RowsWritten: number;
  /** The share of d1RowsWritten that went to endpoint stats rollups (src/db/endpoint-stats.ts). */
  d1StatsRowsWritten: number;
  kvReads: number;
  kvWrites: number;
  /** R2 calls on PAYLOADS, by billing class: put and list are Class A, get and head Class B; delete is free. */
  r2Writes: number;
  r2Reads: number;
  r2Deletes: number;
  /** send/sendBatch calls, and the messages they carried. */
  queueCalls: number;
  queueMessages: number;
  /** Milliseconds spent waiting on each kind of binding, and inside the handler in total. */
  d1Ms: number;
  kvMs: number;
  queueMs: number;
  handlerMs: number;
}

/** The kinds of invocation counted apart. */
export type HandlerKind = "api" | "consumer" | "deadLetters" | "sweeper";

const zero = (): Counters => ({
  invocations: 0,
  inFlight: 0,
  messagesIn: 0,
  d1RoundTrips: 0,
  d1Statements: 0,
  d1RowsRead: 0,
  d1RowsWritten: 0,
  d1StatsRowsWritten: 0,
  kvReads: 0,
  kvWrites: 0,
  r2Writes: 0,
  r2Reads: 0,
  r2Deletes: 0,
  queueCalls: 0,
  queueMessages: 0,
  d1Ms: 0,
  kvMs: 0,
  queueMs: 0,
  handlerMs: 0,
});

const totals: Record<HandlerKind, Counters> = { api: zero(), consumer: zero(), deadLetters: zero(), sweeper: zero() };

/** The path at which the bench Worker answers the counters (outside the API and its OpenAPI document). */
export const COUNTERS_PATH = "/_bench/counters";

/** A copy of every counter, for `GET /_bench/counters`. */
export function snapshot(): Record<HandlerKind, Counters> {
  return structuredClone(totals);
}

async function timed<T>(counters: Counters, field: "d1Ms" | "kvMs" | "queueMs", call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await call();
  } finally {
    counters[field] += performance.now() - started;
  }
}

function addMeta(counters: Counters, result: { meta?: Partial<D1Meta> } | undefined): void {
  counters.d1RowsRead += result?.meta?.rows_read ?? 0;
  counters.d1RowsWritten += result?.meta?.rows_written ?? 0;
}

/** Calls through to the target with `this` bound to it, so proxied built-ins keep working. */
function passThrough(target: object, property: string | symbol): unknown {
  const value = Reflect.get(target, property, target);
  return typeof value === "function" ? value.bind(target) : value;
}

function countingD1(db: D1Database, counters: Counters): D1Database {
  // db.batch() needs the runtime's own statements, so each proxy remembers the one it wraps.
  const unwrap = new WeakMap<object, D1PreparedStatement>();
  // Statements that write endpoint stats, whose rows are also counted apart.
  const stats = new WeakSet<object>();
  const statement = (inner: D1PreparedStatement, isStats: boolean): D1PreparedStatement => {
    const proxy = new Proxy(inner, {
      get(target, property) {
        if (property === "bind") return (...values: unknown[]) => statement(target.bind(...values), isStats);
        if (property === "first" || property === "run" || property === "all" || property === "raw") {
          return async (...args: unknown[]) => {
            counters.d1RoundTrips += 1;
            counters.d1Statements += 1;
            const result = await timed(counters, "d1Ms", () => (target[property] as (...a: unknown[]) => Promise<unknown>)(...args));
            if (property === "run" || property === "all") addMeta(counters, result as D1Result);
            return result;
          };
        }
        return passThrough(target, property);
      },
    });
    unwrap.set(proxy, inner);
    if (isStats) stats.add(proxy);
    return proxy;
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return (sql: string) => statement(target.prepare(sql), /INSERT INTO endpoint_stats\b/.test(sql));
      if (property === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          counters.d1RoundTrips += 1;
          counters.d1Statements += statements.length;
          const results = await timed(counters, "d1Ms", () => target.batch(statements.map((s) => unwrap.get(s) ?? s)));
          results.forEach((result, i) => {
            addMeta(counters, result);
            if (stats.has(statements[i]!)) counters.d1StatsRowsWritten += result.meta?.rows_written ?? 0;
          });
          return results;
        };
      }
      return passThrough(target, property);
    },
  });
}

function countingKv(kv: KVNamespace, counters: Counters): KVNamespace {
  const reads = new Set<string | symbol>(["get", "getWithMetadata", "list"]);
  const writes = new Set<string | symbol>(["put", "delete"]);
  return new Proxy(kv, {
    get(target, property) {
      const method = passThrough(target, property);
      if (!reads.has(property) && !writes.has(property)) return method;
      return (...args: unknown[]) => {
        if (reads.has(property)) counters.kvReads += 1;
        else counters.kvWrites += 1;
        return timed(counters, "kvMs", () => (method as (...a: unknown[]) => Promise<unknown>)(...args));
      };
    },
  });
}

function countingR2(bucket: R2Bucket, counters: Counters): R2Bucket {
  const field: Record<string, "r2Writes" | "r2Reads" | "r2Deletes"> = {
    put: "r2Writes",
    list: "r2Writes",
    createMultipartUpload: "r2Writes",
    get: "r2Reads",
    head: "r2Reads",
    delete: "r2Deletes",
  };
  return new Proxy(bucket, {
    get(target, property) {
      const method = passThrough(target, property);
      const counter = typeof property === "string" ? field[property] : undefined;
      if (!counter) return method;
      return (...args: unknown[]) => {
        counters[counter] += 1;
        return (method as (...a: unknown[]) => unknown)(...args);
      };
    },
  });
}

/** D1 bindings the bench counts and measures: the control database and every data shard. */
export const isD1BindingName = (name: string) => name === "DB" || /^SHARD_\d+$/.test(name);

/** The R2 bucket large payloads go to, when the configuration has one. */
export const PAYLOADS_BINDING = "PAYLOADS";

function countingQueue(queue: Queue, counters: Counters): Queue {
  return new Proxy(queue, {
    get(target, property) {
      if (property === "send") {
        return (...args: Parameters<Queue["send"]>) => {
          counters.queueCalls += 1;
          counters.queueMessages += 1;
          return timed(counters, "queueMs", () => target.send(...args));
        };
      }
      if (property === "sendBatch") {
        return (...args: Parameters<Queue["sendBatch"]>) => {
          counters.queueCalls += 1;
          counters.queueMessages += [...args[0]].length;
          return timed(counters, "queueMs", () => target.sendBatch(...args));
        };
      }
      return passThrough(target, property);
    },
  });
}

// One instrumented env per runtime env and kind: code that caches per env object (readConfig)
// must keep hitting its cache, or the bench would measure extra work.
const instrumented = new WeakMap<Env, Map<HandlerKind, Env>>();

/**
 * The env a `kind` handler sees under the bench: the control database and every data shard
 * (SHARD_n, through src/shards.ts), SECRETS, both delivery queues and PAYLOADS (when bound) behind counting
 * proxies. D1 calls on any database add to the same counters, so rows written include the shards'.
 */
function instrumentedEnv(env: Env, kind: HandlerKind): Env {
  const byKind = instrumented.get(env) ?? new Map<HandlerKind, Env>();
  instrumented.set(env, byKind);
  let wrapped = byKind.get(kind);
  if (!wrapped) {
    const counters = totals[kind];
    const bindings = env as unknown as Record<string, unknown>;
    const proxies: Record<string, unknown> = {
      SECRETS: countingKv(env.SECRETS, counters),
      DELIVERIES: countingQueue(env.DELIVERIES, counters),
      SLOW_DELIVERIES: countingQueue(env.SLOW_DELIVERIES, counters),
    };
    if (bindings[PAYLOADS_BINDING]) proxies[PAYLOADS_BINDING] = countingR2(bindings[PAYLOADS_BINDING] as R2Bucket, counters);
    wrapped = { ...withDatabases(env, (db) => countingD1(db, counters)), ...proxies } as Env;
    byKind.set(kind, wrapped);
  }
  return wrapped;
}

/**
 * Runs one handler invocation of `kind` against counting bindings, adding its costs to the
 * isolate's totals. `messages` is the size of a queue batch.
 */
export async function counted<T>(kind: HandlerKind, env: Env, messages: number, handler: (env: Env) => Promise<T>): Promise<T> {
  const counters = totals[kind];
  counters.invocations += 1;
  counters.inFlight += 1;
  counters.messagesIn += messages;
  const started = performance.now();
  try {
    return await handler(instrumentedEnv(env, kind));
  } finally {
    counters.inFlight -= 1;
    counters.handlerMs += performance.now() - started;
  }
}
