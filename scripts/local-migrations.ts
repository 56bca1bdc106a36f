// Local D1 migrations in two wrangler runs per database instead of one per migration.
// `wrangler d1 migrations apply --local` starts a Miniflare (a workerd process) for the migrations
// table, another for the list of applied ones, and one more for every pending migration: 17 for a
// fresh shard, ~15 s of a fresh `npm run dev` per shard. Here one `wrangler d1 execute --command`
// creates and lists the table, and one `wrangler d1 execute --file` applies every pending
// migration with the row wrangler records for it (the statement `buildMigrationQuery` appends in
// wrangler 4), so `wrangler d1 migrations list/apply` see them applied. Remote databases keep
// `wrangler d1 migrations apply` (scripts/d1-migrations.ts).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { unstable_readConfig } from "wrangler";

/** wrangler's default `migrations_table`, and the table it creates when it is missing (wrangler 4). */
const DEFAULT_MIGRATIONS_TABLE = "d1_migrations";

/** One local database's migrations as wrangler.toml declares them. */
export interface LocalMigrationSource {
  binding: string;
  /** Absolute folder of the `.sql` files, applied in file-name order. */
  dir: string;
  table: string;
  /**
   * wrangler.toml sets `migrations_pattern` (files in sub-folders, as drizzle writes them): this
   * module lists only the folder's own `.sql` files, so such a database is left to
   * `wrangler d1 migrations apply` (scripts/d1-migrations.ts).
   */
  patterned: boolean;
}

const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteText = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * The migration folder and table of every binding in `bindings`, read from the wrangler
 * configuration at `configPath` for `env` (undefined or "" = the top level).
 * @throws Error when a binding has no D1 database in that environment.
 */
export function localMigrationSources(bindings: string[], configPath: string, env?: string): LocalMigrationSource[] {
  const { d1_databases }: {
    d1_databases: { binding: string; migrations_dir?: string; migrations_table?: string; migrations_pattern?: string }[];
  } = unstable_readConfig(
    { config: configPath, env: env || undefined },
    { hideWarnings: true },
  );
  return bindings.map((binding) => {
    const database = d1_databases.find((d) => d.binding === binding);
    if (!database) throw new Error(`${configPath}: no D1 binding "${binding}"`);
    return {
      binding,
      dir: path.resolve(path.dirname(configPath), database.migrations_dir ?? "migrations"),
      // `||` as wrangler's getDatabaseInfoFromConfig has it: an empty migrations_table is the default one.
      table: database.migrations_table || DEFAULT_MIGRATIONS_TABLE,
      patterned: database.migrations_pattern !== undefined,
    };
  });
}

/** The SQL that creates the migrations table when missing, then lists the applied migrations' names. */
function appliedMigrationsQuery(table: string): string {
  const name = quoteIdentifier(table);
  return (
    `CREATE TABLE IF NOT EXISTS ${name}(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);\n` +
    `SELECT name FROM ${name} ORDER BY id;`
  );
}

/** The number a migration's file name starts with (`0012_x.sql` → 12), NaN when it has none. */
const leadingNumber = (name: string) => parseInt(name.split("_")[0]!, 10);

/**
 * wrangler 4's order of migration files (getD1MigrationFiles in wrangler-dist/cli.js), which remote
 * databases get: by leading number, numbered files before the others, then by name. Plain name
 * order differs once the numbers differ in width (`9_b.sql` before `10_c.sql`).
 */
function compareMigrationNames(a: string, b: string): number {
  const [m, n] = [leadingNumber(a), leadingNumber(b)];
  if (Number.isFinite(m) && Number.isFinite(n) && m !== n) return m - n;
  if (Number.isFinite(m) !== Number.isFinite(n)) return Number.isFinite(m) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The names of the migration files in `dir` not in `applied`, in wrangler's order
 * (compareMigrationNames): the files wrangler's default pattern `*.sql` matches, hidden ones
 * (a leading dot) not.
 */
export function pendingMigrations(dir: string, applied: readonly string[]): string[] {
  const done = new Set(applied);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith(".") && entry.name.endsWith(".sql") && !done.has(entry.name))
    .map((entry) => entry.name)
    .sort(compareMigrationNames);
}

/** One SQL text applying `names` from `dir` in order, each followed by the row that records it in `table`. */
export function migrationScript(dir: string, names: readonly string[], table: string): string {
  return names
    .map((name) => `${readFileSync(path.join(dir, name), "utf8")}\nINSERT INTO ${quoteIdentifier(table)} (name) values (${quoteText(name)});`)
    .join("\n");
}

/** Runs wrangler with these arguments and resolves with its stdout; rejects when it exits non-zero. */
export type RunWrangler = (args: string[]) => Promise<string>;

/**
 * The names in the local database's migrations table (created when missing), in the order applied:
 * one wrangler run.
 * @throws Error from `run` when wrangler fails, or when its `--json` answer has no list of names.
 */
async function appliedMigrations(source: LocalMigrationSource, where: string[], run: RunWrangler): Promise<string[]> {
  const listed = JSON.parse(await run(["d1", "execute", source.binding, ...where, "--json", "--command", appliedMigrationsQuery(source.table)])) as {
    results?: { name?: unknown }[];
  }[];
  const rows = listed.at(-1)?.results;
  if (!Array.isArray(rows)) throw new Error(`wrangler d1 execute ${source.binding}: no list of applied migrations in its answer`);
  return rows.map((row) => String(row.name));
}

/**
 * Applies one local database's pending migrations: one wrangler run lists them, one applies them
 * all in one D1 batch (so a failing migration leaves none of them applied). `where` are the flags
 * that choose the state and environment (`--local`, `--persist-to`, `--env`, `--config`, …). When
 * the batch fails, the table is listed once more: another run on the same state (a second
 * `npm run dev`) may have applied the same migrations meanwhile, which makes this one's batch fail
 * on a table that exists or a name already recorded; then the database is where it should be.
 * @throws Error from `run` when wrangler fails, or when its `--json` answer has no list of names.
 */
export async function applyLocalMigrations(source: LocalMigrationSource, where: string[], run: RunWrangler): Promise<void> {
  const pending = pendingMigrations(source.dir, await appliedMigrations(source, where, run));
  if (pending.length === 0) return;
  const folder = mkdtempSync(path.join(tmpdir(), "edgehook-migrations-"));
  try {
    const file = path.join(folder, `${source.binding}.sql`);
    writeFileSync(file, migrationScript(source.dir, pending, source.table));
    await run(["d1", "execute", source.binding, ...where, "--file", file]).catch(async (error: Error) => {
      const applied = new Set(await appliedMigrations(source, where, run).catch(() => []));
      if (pending.every((name) => applied.has(name))) return "";
      throw new Error(`applying ${pending.join(", ")} to ${source.binding} failed, none of them applied: ${error.message}`);
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
