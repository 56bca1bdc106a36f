/** A D1 binding that counts its round trips (each first/all/run/raw, and each batch, is one). */
export function countingRoundTrips(db: D1Database) {
  const counter = { roundTrips: 0 };
  const unwrap = new WeakMap<object, D1PreparedStatement>();
  const statement = (inner: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(inner, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (property === "bind") return (...values: unknown[]) => statement(target.bind(...values));
        if (["first", "all", "run", "raw"].includes(String(property))) counter.roundTrips++;
        return value.bind(target);
      },
    });
    unwrap.set(proxy, inner);
    return proxy;
  };
  const wrapped = new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return (sql: string) => statement(target.prepare(sql));
      if (property === "batch") {
        return (statements: D1PreparedStatement[]) => {
          counter.roundTrips++;
          return target.batch(statements.map((s) => unwrap.get(s) ?? s));
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: wrapped, counter };
}
