/** A statement run through countingD1, with the values bound to it and the rows it wrote and read (D1's meta.rows_written, meta.rows_read). */
export interface RanStatement {
  sql: string;
  params: unknown[];
  rowsWritten: number;
  rowsRead: number;
}

/** The rows written by the statements whose SQL writes to `table` (an INSERT INTO, UPDATE or DELETE FROM it). */
export function rowsWrittenTo(statements: RanStatement[], table: string): number {
  const writes = new RegExp(`\\b(INSERT INTO|UPDATE|DELETE FROM) ${table}\\b`, "i");
  return statements.filter((s) => writes.test(s.sql)).reduce((sum, s) => sum + s.rowsWritten, 0);
}

/** A statement as prepared and bound, before it runs. */
type Source = Omit<RanStatement, "rowsWritten" | "rowsRead">;

/**
 * A D1 binding that counts what D1 reports: `rowsWritten` sums meta.rows_written (table rows plus
 * index entries) and `rowsRead` meta.rows_read (D1's billing units) over every statement run through it, and `sizeAfter` is the latest
 * meta.size_after (the database file's size in bytes). `statements` lists every statement run, in
 * order, with the rows each wrote, so a test can look at their query plans and count writes per table.
 */
export function countingD1(db: D1Database) {
  const counts = { rowsWritten: 0, rowsRead: 0, sizeAfter: 0 };
  const statements: RanStatement[] = [];
  const sources = new WeakMap<object, Source>();
  const note = (meta: D1Meta, entry: RanStatement) => {
    entry.rowsWritten = meta.rows_written ?? 0;
    entry.rowsRead = meta.rows_read ?? 0;
    counts.rowsWritten += entry.rowsWritten;
    counts.rowsRead += meta.rows_read ?? 0;
    if (meta.size_after) counts.sizeAfter = meta.size_after;
  };
  const inner = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement, source: Source): D1PreparedStatement => {
    const ran = () => {
      const entry = { ...source, rowsWritten: 0, rowsRead: 0 };
      statements.push(entry);
      return entry;
    };
    const wrapped = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values), { sql: source.sql, params: values }),
      async run() {
        const entry = ran();
        const result = await statement.run();
        note(result.meta, entry);
        return result;
      },
      async all() {
        const entry = ran();
        const result = await statement.all();
        note(result.meta, entry);
        return result;
      },
      async first(column?: string) {
        const entry = ran();
        const { results, meta } = await statement.all<Record<string, unknown>>();
        note(meta, entry);
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
      const entries = batched.map((s) => ({ ...sources.get(s)!, rowsWritten: 0, rowsRead: 0 }));
      statements.push(...entries);
      const results = await db.batch(batched.map((s) => inner.get(s) ?? s));
      results.forEach((r, i) => note(r.meta, entries[i]!));
      return results;
    },
    exec: (sql: string) => db.exec(sql),
    withSession: () => binding,
    dump: () => db.dump(),
  } as unknown as D1Database;
  return { db: binding, counts, statements };
}
