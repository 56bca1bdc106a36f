import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../scripts/d1-migrations";
import { applyLocalMigrations, localMigrationSources, migrationScript, pendingMigrations, type RunWrangler } from "../../scripts/local-migrations";
import { ROOT } from "./support/processes";

const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");
const WRANGLER_ENV = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
const dir = mkdtempSync(path.join(tmpdir(), "edgehook-local-migrations-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let projects = 0;
/** A project folder with a wrangler.toml whose one D1 database, DB, takes the migrations given (file name → SQL). */
function projectWith(migrations: Record<string, string>): { config: string; migrations: string; state: string } {
  const root = path.join(dir, `project-${projects++}`);
  const folder = path.join(root, "migrations");
  mkdirSync(folder, { recursive: true });
  for (const [name, sql] of Object.entries(migrations)) writeFileSync(path.join(folder, name), sql);
  const config = path.join(root, "wrangler.toml");
  writeFileSync(config, `name = "t"\ncompatibility_date = "2026-10-30"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "t"\nmigrations_dir = "migrations"\n`);
  return { config, migrations: folder, state: path.join(root, "state") };
}

const applyLocally = (project: { config: string; state: string }) =>
  applyMigrations({ location: "local", persistTo: project.state, extraArgs: ["--config", project.config] }, { wrangler: WRANGLER, env: WRANGLER_ENV, quiet: true });

/** The two result sets of two statements wrangler itself runs against the project's local database, as JSON results. */
function wranglerJson(project: { config: string; state: string }, sql: string): [{ results: Record<string, unknown>[] }, { results: Record<string, unknown>[] }] {
  const out = execFileSync(WRANGLER, ["d1", "execute", "DB", "--local", "--persist-to", project.state, "--config", project.config, "--json", "--command", sql], {
    env: WRANGLER_ENV,
    encoding: "utf8",
  });
  return JSON.parse(out) as [{ results: Record<string, unknown>[] }, { results: Record<string, unknown>[] }];
}

/**
 * A stand-in for wrangler on a local database that another run (a second `npm run dev`) migrates
 * between this run's listing and its batch: the batch fails, and the table then holds what the
 * other run recorded.
 */
function wranglerRacedBy(recordedByOtherRun: string[]): RunWrangler {
  const recorded: string[] = [];
  return async (args) => {
    if (args.includes("--json")) return JSON.stringify([{ results: [] }, { results: recorded.map((name) => ({ name })) }]);
    recorded.push(...recordedByOtherRun);
    throw new Error("UNIQUE constraint failed: d1_migrations.name");
  };
}

describe("the local migrations of a database", () => {
  it("are pending when their file is not among the applied names, in file-name order", () => {
    const { migrations } = projectWith({ "0002_b.sql": "", "0001_a.sql": "", "0010_c.sql": "", "notes.md": "" });

    expect(pendingMigrations(migrations, ["0002_b.sql"])).toEqual(["0001_a.sql", "0010_c.sql"]);
  });

  it("are pending in wrangler's order: by leading number whatever its width, numbered files first", () => {
    const { migrations } = projectWith({ "10_c.sql": "", "9_b.sql": "", "0001_a.sql": "", "seed.sql": "", "9_a.sql": "" });

    expect(pendingMigrations(migrations, [])).toEqual(["0001_a.sql", "9_a.sql", "9_b.sql", "10_c.sql", "seed.sql"]);
  });

  it("leave out hidden files and folders, as wrangler's pattern does", () => {
    const { migrations } = projectWith({ "0001_a.sql": "", ".0002_draft.sql": "" });
    mkdirSync(path.join(migrations, "0003_folder.sql"));

    expect(pendingMigrations(migrations, [])).toEqual(["0001_a.sql"]);
  });

  it("count as applied when another run on the same state applied them while this one tried", async () => {
    const { migrations } = projectWith({ "0001_a.sql": "CREATE TABLE a (x);", "0002_b.sql": "CREATE TABLE b (x);" });
    const source = { binding: "DB", dir: migrations, table: "d1_migrations", patterned: false };

    await expect(applyLocalMigrations(source, ["--local"], wranglerRacedBy(["0001_a.sql", "0002_b.sql"]))).resolves.toBeUndefined();
  });

  it("still fail, naming this run's pending ones, when another run applied only some of them", async () => {
    const { migrations } = projectWith({ "0001_a.sql": "CREATE TABLE a (x);", "0002_b.sql": "CREATE TABLE b (x);" });
    const source = { binding: "DB", dir: migrations, table: "d1_migrations", patterned: false };

    await expect(applyLocalMigrations(source, ["--local"], wranglerRacedBy(["0001_a.sql"]))).rejects.toThrow(
      "applying 0001_a.sql, 0002_b.sql to DB failed, none of them applied: UNIQUE constraint failed",
    );
  });

  it("are recorded in wrangler's d1_migrations when wrangler.toml sets migrations_table empty, as wrangler records them", () => {
    const { config } = projectWith({});
    writeFileSync(config, `${readFileSync(config, "utf8")}migrations_table = ""\n`);

    expect(localMigrationSources(["DB"], config)).toEqual([{ binding: "DB", dir: path.join(path.dirname(config), "migrations"), table: "d1_migrations", patterned: false }]);
  });

  it("are applied each with the row wrangler records for it, quotes in names escaped", () => {
    const { migrations } = projectWith({ "0001_it's.sql": "CREATE TABLE a (x);" });

    expect(migrationScript(migrations, ["0001_it's.sql"], "d1_migrations")).toBe(
      `CREATE TABLE a (x);\nINSERT INTO "d1_migrations" (name) values ('0001_it''s.sql');`,
    );
  });

  // Only what is pending is applied: the race tests above with a stand-in wrangler, and a restart of
  // `npm run dev` on a migrated folder (test/node/dev-recovery.test.ts) with the real one.
  it("are applied, and wrangler's own migrations list then has nothing left to apply", async () => {
    const project = projectWith({
      "0001_a.sql": "CREATE TABLE a (x INTEGER);\n",
      "0002_b.sql": "-- a comment; with a semicolon\nINSERT INTO a VALUES (1);\n",
      "0003_c.sql": "INSERT INTO a VALUES (3);\n",
    });
    await applyLocally(project);

    const [applied, rows] = wranglerJson(project, "SELECT name FROM d1_migrations ORDER BY id; SELECT x FROM a ORDER BY x");
    expect(applied.results.map((r) => r.name)).toEqual(["0001_a.sql", "0002_b.sql", "0003_c.sql"]);
    expect(rows.results.map((r) => r.x)).toEqual([1, 3]);
    const listed = execFileSync(WRANGLER, ["d1", "migrations", "list", "DB", "--local", "--persist-to", project.state, "--config", project.config], {
      env: WRANGLER_ENV,
      encoding: "utf8",
    });
    expect(listed).toContain("No migrations to apply");
  }, 60_000);

  it("are applied when wrangler is set to print its debug lines (WRANGLER_LOG=debug)", async () => {
    const project = projectWith({ "0001_a.sql": "CREATE TABLE a (x INTEGER);\n" });
    await applyMigrations(
      { location: "local", persistTo: project.state, extraArgs: ["--config", project.config] },
      { wrangler: WRANGLER, env: { ...WRANGLER_ENV, WRANGLER_LOG: "debug" }, quiet: true },
    );

    const [applied] = wranglerJson(project, "SELECT name FROM d1_migrations; SELECT 1");
    expect(applied.results).toEqual([{ name: "0001_a.sql" }]);
  }, 60_000);

  it("of a database whose wrangler.toml sets migrations_pattern are the files that pattern finds, as wrangler applies them", async () => {
    const project = projectWith({});
    writeFileSync(project.config, `${readFileSync(project.config, "utf8")}migrations_pattern = "migrations/*/migration.sql"\n`);
    mkdirSync(path.join(project.migrations, "0001_a"));
    writeFileSync(path.join(project.migrations, "0001_a", "migration.sql"), "CREATE TABLE a (x INTEGER);\n");
    await applyLocally(project);

    const [applied] = wranglerJson(project, "SELECT name FROM d1_migrations; SELECT 1");
    expect(applied.results).toEqual([{ name: "0001_a/migration.sql" }]);
  }, 60_000);

  it("leave none of the pending ones applied when one fails, and name them", async () => {
    const project = projectWith({ "0001_a.sql": "CREATE TABLE a (x INTEGER);\n", "0002_bad.sql": "INSERT INTO missing VALUES (1);\n" });

    await expect(applyLocally(project)).rejects.toThrow("applying 0001_a.sql, 0002_bad.sql to DB failed, none of them applied");
    const [applied, tables] = wranglerJson(project, "SELECT count(*) AS n FROM d1_migrations; SELECT count(*) AS n FROM sqlite_schema WHERE name = 'a'");
    expect(applied.results).toEqual([{ n: 0 }]);
    expect(tables.results).toEqual([{ n: 0 }]);
  }, 60_000);
});
