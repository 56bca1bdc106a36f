import { withDatabases } from "../../src/shards";

/** What a flaky binding is told to do, and how often a matching statement was sent. */
interface Flakiness {
  pattern: RegExp;
  message: string;
  /** Failures left, shared by every database wrapped with this flakiness. */
  left: number;
  runs: number;
}

function flaky(db: D1Database, flakiness: Flakiness): D1Database {
  const inner = new WeakMap<object, D1PreparedStatement>();
  const matching = new WeakSet<object>();
  const maybeFail = () => {
    flakiness.runs++;
    if (flakiness.left > 0) {
      flakiness.left--;
      throw new Error(flakiness.message);
    }
  };
  const wrap = (statement: D1PreparedStatement, matches: boolean): D1PreparedStatement => {
    const wrapped = new Proxy(statement, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (property === "bind") return (...values: unknown[]) => wrap(target.bind(...values), matches);
        if (matches && ["first", "all", "run", "raw"].includes(String(property))) {
          return async (...args: unknown[]) => {
            maybeFail();
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
    inner.set(wrapped, statement);
    if (matches) matching.add(wrapped);
    return wrapped;
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return (sql: string) => wrap(target.prepare(sql), flakiness.pattern.test(sql));
      if (property === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          if (statements.some((s) => matching.has(s))) maybeFail();
          return target.batch(statements.map((s) => inner.get(s) ?? s));
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * A D1 binding that fails the statements whose SQL matches `pattern` with `message`, the first
 * `times` times they run (alone or in a batch), without running them; after that they run. `runs`
 * counts every time a matching statement was sent, failed or not.
 */
export function flakyD1(db: D1Database, options: { pattern: RegExp; message: string; times: number }) {
  const state: Flakiness = { ...options, left: options.times, runs: 0 };
  return { db: flaky(db, state), state };
}

/**
 * `env` with the control database and every data shard flaky as flakyD1 describes, the `times`
 * failures shared among them: a statement fails the same wherever its tenant's data lives.
 */
export function flakyDatabases(env: Env, options: { pattern: RegExp; message: string; times: number }) {
  const state: Flakiness = { ...options, left: options.times, runs: 0 };
  return { env: withDatabases(env, (db) => flaky(db, state)), state };
}
