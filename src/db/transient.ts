import { withDatabases } from "../shards";

/**
 * Transient D1 failures, and a D1 binding that runs a statement again once when that is safe.
 *
 * Cloudflare's D1 error list ("Debug D1", "Retry queries") says to retry when the database was
 * reset or restarted, its storage was reset, or the network connection was lost; an overloaded D1
 * rejects requests it has queued too long; local SQLite answers SQLITE_BUSY ("database is locked")
 * while another writer holds the lock. None of these says anything about the request itself.
 */

/** D1 turned the request away before running it: running it again cannot apply it twice. */
const REFUSED = /SQLITE_BUSY|database is locked|D1 DB is overloaded/i;
/** The connection or D1's host failed mid-request: the statement may or may not have run. */
const INTERRUPTED = /Network connection lost|D1 DB reset|object to be reset|limit and was reset/i;
/** Statements that only read, and so may run twice. */
const READ_ONLY = /^\s*SELECT\b/i;
/** Pause before the one retry, long enough for a lock holder to finish. */
const RETRY_PAUSE_MS = 50;

/** The messages of an error and of its causes, which is where D1 puts the underlying SQLite error. */
export function messagesOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) parts.push(e.message);
  return parts.join(" | ");
}

/** Whether `error` is a D1 failure that a later identical request may not meet (busy, overloaded, reset, connection lost). */
export function isTransientD1Error(error: unknown): boolean {
  const text = messagesOf(error);
  return REFUSED.test(text) || INTERRUPTED.test(text);
}

/** Whether `error` is a D1 failure after which the statement may or may not have run (connection lost, D1 reset). */
export function isInterruptedD1Error(error: unknown): boolean {
  return INTERRUPTED.test(messagesOf(error));
}

/** How many second tries the databases of one wrapped env may still make between them. */
interface Retries {
  left: number;
}

/** Runs `run`, and once more after a short pause if it failed transiently, running it twice is safe and `retries` has one left. */
async function onceMore<T>(run: () => Promise<T>, readOnly: boolean, retries: Retries): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const text = messagesOf(error);
    if (!REFUSED.test(text) && !(readOnly && INTERRUPTED.test(text))) throw error;
    if (retries.left <= 0) throw error;
    retries.left--;
    await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    return run();
  }
}

const innerOf = new WeakMap<object, D1PreparedStatement>();
const readsOnly = new WeakMap<object, boolean>();
const EXECUTE = new Set<PropertyKey>(["first", "all", "run", "raw"]);

function retryingStatement(statement: D1PreparedStatement, readOnly: boolean, retries: Retries): D1PreparedStatement {
  const wrapped = new Proxy(statement, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property === "bind") return (...values: unknown[]) => retryingStatement(target.bind(...values), readOnly, retries);
      if (EXECUTE.has(property)) return (...args: unknown[]) => onceMore(() => value.apply(target, args), readOnly, retries);
      return value.bind(target);
    },
  });
  innerOf.set(wrapped, statement);
  readsOnly.set(wrapped, readOnly);
  return wrapped;
}

/**
 * `db` with every statement and batch run once more after a transient failure when that is safe:
 * always when D1 refused it (busy, overloaded), and when it was interrupted only if it only reads,
 * as long as `retries` has one left (shared by every database of a wrapped env). Anything else, or
 * a second failure, is thrown as it came (the API answers a transient one with 503, see src/app.ts).
 */
export function retryingD1(db: D1Database, retries: Retries = { left: Infinity }): D1Database {
  return new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return (sql: string) => retryingStatement(target.prepare(sql), READ_ONLY.test(sql), retries);
      if (property === "batch") {
        return (statements: D1PreparedStatement[]) =>
          onceMore(
            () => target.batch(statements.map((s) => innerOf.get(s) ?? s)),
            statements.every((s) => readsOnly.get(s) === true),
            retries,
          );
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const retryingEnvs = new WeakMap<object, Env>();

/**
 * The Worker's env with its control database and every data shard wrapped by retryingD1 (one wrapper
 * per env object). With `retries`, a wrapper of its own whose databases make at most that many second
 * tries between them: a retry is a D1 query too, and work that counts its queries against D1's 1,000
 * per invocation (the cron sweeper) keeps that many back for them.
 */
export function withRetryingD1<E extends Env>(env: E, retries?: number): E {
  if (retries !== undefined) {
    const shared: Retries = { left: retries };
    return withDatabases(env, (db) => retryingD1(db, shared));
  }
  let wrapped = retryingEnvs.get(env) as E | undefined;
  if (!wrapped) {
    wrapped = withDatabases(env, retryingD1);
    retryingEnvs.set(env, wrapped as unknown as Env);
  }
  return wrapped;
}
