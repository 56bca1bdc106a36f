/** A statement run through countingD1, with the values bound to it. */
export interface RanStatement {
  sql: string;
  params: unknown[];
}

/**
 * A D1 binding that counts what D1 reports: `rowsWritten` sums meta.rows_written (table rows plus
 * index entries) and `rowsRead` meta.rows_read (D1's billing units) over every statement run through it, and `sizeAfter` is the latest
 * meta.size_after (the database file's size in bytes). `statements` lists every statement run, in
 * order, so a test can look at their query plans.
 */
export function countingD1(db: D1Database) {
  const counts = { rowsWritten: 0, rowsRead: 0, sizeAfter: 0 };
  const statements: RanStatement[] = [];
  const sources = new WeakMap<object, RanStatement>();
  const note = (meta: D1Meta) => {
    counts.rowsWritten += meta.rows_written ?? 0;
    counts.rowsRead += meta.rows_read ?? 0;
    if (meta.size_after) counts.sizeAfter = meta.size_after;
  };
  const inner = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement, source: RanStatement): D1PreparedStatement => {
    const ran = () => statements.push(source);
    const wrapped = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values), { sql: source.sql, params: values }),
      async run() {
        ran();
        const result = await statement.run();
        note(result.meta);
        return result;
      },
      async all() {
        ran();
        const result = await statement.all();
        note(result.meta);
        return result;
      },
      async first(column?: string) {
        ran();
        const { results, meta } = await statement.all<Record<string, unknown>>();
        note(meta);
        const row = results[0] ?? null;
        return column === undefined || row === null ? row : row[column];
      },
      raw: (options?: { columnNames?: boolean }) => statement.raw(options as { columnNames: true }),
    } as unknown as D1PreparedStatement;
    inner.set(wrapped, statement);
    sources.set(wrapped, source);
    return wrapped;
  };
  const binding = {
    prepare: (sql: string) => wrap(db.prepare(sql), { sql, params: [] }),
    async batch(batched: D1PreparedStatement[]) {
      for (const s of batched) statements.push(sources.get(s)!);
      const results = await db.batch(batched.map((s) => inner.get(s) ?? s));
      for (const r of results) note(r.meta);
      return results;
    },
    exec: (sql: string) => db.exec(sql),
    withSession: () => binding,
    dump: () => db.dump(),
  } as unknown as D1Database;
  return { db: binding, counts, statements };
}
