/**
 * A D1 binding that fails the statements whose SQL matches `pattern` with `message`, the first
 * `times` times they run (alone or in a batch), without running them; after that they run. `runs`
 * counts every time a matching statement was sent, failed or not.
 */
export function flakyD1(db: D1Database, options: { pattern: RegExp; message: string; times: number }) {
  let failuresLeft = options.times;
  const state = { runs: 0 };
  const inner = new WeakMap<object, D1PreparedStatement>();
  const matching = new WeakSet<object>();
  const maybeFail = () => {
    state.runs++;
    if (failuresLeft > 0) {
      failuresLeft--;
      throw new Error(options.message);
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
  const flaky = new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return (sql: string) => wrap(target.prepare(sql), options.pattern.test(sql));
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
  return { db: flaky, state };
}
