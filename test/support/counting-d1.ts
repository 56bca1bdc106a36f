/**
 * A D1 binding that counts what D1 reports: `rowsWritten` sums meta.rows_written (table rows plus
 * index entries) over every statement run through it, and `sizeAfter` is the latest
 * meta.size_after (the database file's size in bytes).
 */
export function countingD1(db: D1Database) {
  const counts = { rowsWritten: 0, sizeAfter: 0 };
  const note = (meta: D1Meta) => {
    counts.rowsWritten += meta.rows_written ?? 0;
    if (meta.size_after) counts.sizeAfter = meta.size_after;
  };
  const inner = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const wrapped = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values)),
      async run() {
        const result = await statement.run();
        note(result.meta);
        return result;
      },
      async all() {
        const result = await statement.all();
        note(result.meta);
        return result;
      },
      async first(column?: string) {
        const { results, meta } = await statement.all<Record<string, unknown>>();
        note(meta);
        const row = results[0] ?? null;
        return column === undefined || row === null ? row : row[column];
      },
      raw: (options?: { columnNames?: boolean }) => statement.raw(options as { columnNames: true }),
    } as unknown as D1PreparedStatement;
    inner.set(wrapped, statement);
    return wrapped;
  };
  const binding = {
    prepare: (sql: string) => wrap(db.prepare(sql)),
    async batch(statements: D1PreparedStatement[]) {
      const results = await db.batch(statements.map((s) => inner.get(s) ?? s));
      for (const r of results) note(r.meta);
      return results;
    },
    exec: (sql: string) => db.exec(sql),
    withSession: () => binding,
    dump: () => db.dump(),
  } as unknown as D1Database;
  return { db: binding, counts };
}
