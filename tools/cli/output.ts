/** A column of a table: its heading and how to show a row's cell. */
export interface Column<T> {
  title: string;
  value: (row: T) => unknown;
  /** Cut longer cells to this many characters. */
  max?: number;
}

/** A cell as text: null and undefined show as "-", lists comma-separated. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  if (Array.isArray(value)) return value.length === 0 ? "-" : value.map(cell).join(",");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function cut(text: string, max: number | undefined): string {
  const oneLine = text.replace(/\s+/g, " ");
  return max !== undefined && oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** Rows as an aligned text table with a heading line; a note when there are none. */
export function table<T>(rows: readonly T[], columns: ReadonlyArray<Column<T>>, empty = "(none)"): string {
  if (rows.length === 0) return `${empty}\n`;
  const cells = rows.map((row) => columns.map((c) => cut(cell(c.value(row)), c.max)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join("\n") + "\n";
}

/** Label-value pairs, labels aligned, values shown like table cells. */
export function details(pairs: ReadonlyArray<[string, unknown]>): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${cell(value)}`).join("\n") + "\n";
}

/** A timestamp shortened for tables: ISO-8601 to the second. */
export function time(iso: string | null | undefined): string | null {
  return iso ? iso.replace(/\.\d{3}Z$/, "Z") : null;
}

/** Writes to stdout. */
export function out(text: string): void {
  process.stdout.write(text);
}

/** Writes a value as indented JSON to stdout. */
export function outJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes a note for people to stderr, so stdout stays clean for pipes. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}
