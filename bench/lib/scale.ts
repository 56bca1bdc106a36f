// The bench's scale phase (`npm run bench -- --phase scale`): every read a tenant, an operator or
// the relay makes, on one data shard holding a million messages and their deliveries. The shard is
// seeded straight into a SQLite file (bench/lib/scale-seed.ts, cached in bench/.cache) and served as
// the local D1 database of a small Worker (bench/scale-worker.ts) under `wrangler dev`, which runs
// each read through the real functions of src/db and answers D1's own rows read for it.
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../scripts/local-relay.ts";
import type { ReadCost, ScalePlan } from "../scale-worker.ts";
import { ALL_SCALE_READS, SCALE_WRITES, type ScaleRead } from "./scale-reads.ts";
import { fillEndpointStatsFromDeliveries, migrateShard, withoutPlannerStatistics, RARE_EVENT, RARE_SOURCE, seededShard, type SeedCatalog } from "./scale-seed.ts";
import { percentile } from "./stats.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");
const CONFIG = path.join(ROOT, "bench", "scale.wrangler.toml");
/**
 * The relay's passes that do many things in many D1 queries (a consumer batch's load, a sweep, a
 * retention run, a recovery): D1 runs one query at a time per database, so what holds the shard up
 * is the most rows one of their queries reads, and that is their `rows_read_per_call`.
 */
const PASSES: readonly ScaleRead[] = ["consumer_batch_load", ...SCALE_WRITES];

/** The scale phase's settings. */
export const SCALE_SETTINGS = {
  messages: 1_000_000,
  /** Timed calls of each read (after one untimed warm-up call); the writes run once. */
  callsPerRead: 5,
} as const;

/** `scale` in bench/results/latest.json. */
export interface ScaleResult {
  messages: number;
  deliveries: number;
  /** Bytes of the seeded shard file, and seconds it took to seed (0 when it came from bench/.cache). */
  shard_bytes: number;
  seed_seconds: number;
  /** The tenant every read is called for, and how many of the shard's messages it has. */
  tenant: { id: string; messages: number };
  /**
   * D1 rows read (meta.rows_read) per call, summed over its queries; for the PASSES, the most rows
   * one of the pass's queries read (their total is in rows_read_per_pass).
   */
  rows_read_per_call: Record<string, number>;
  max_rows_read_per_call: number;
  /** For the PASSES: D1 rows read by all the pass's queries together, and how many queries it ran. */
  rows_read_per_pass: Record<string, number>;
  queries_per_pass: Record<string, number>;
  /** Median wall time of one call as the bench sees it (one local HTTP hop included), ms. */
  ms_per_call: Record<string, number>;
  /** Rows each call returned or acted on: what its rows read are weighed against. */
  rows_returned: Record<string, number>;
  rows_written_per_call: Record<string, number>;
}

/**
 * A fresh local state folder whose SHARD_0 is a copy of `seeded` with the migrations it lacks, its
 * endpoint stats rolled up as of `now` (epoch ms) and no planner statistics: wrangler creates the
 * database file, which the copy then replaces.
 */
export function stateWith(seeded: string, now: number): string {
  const persist = mkdtempSync(path.join(tmpdir(), "edgehook-scale-"));
  execFileSync(WRANGLER, ["d1", "execute", "SHARD_0", "--local", "--config", CONFIG, "--persist-to", persist, "--command", "SELECT 1"], {
    cwd: ROOT,
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
    stdio: "ignore",
  });
  const dir = path.join(persist, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = readdirSync(dir);
  const database = files.find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (!database) throw new Error(`no D1 database file in ${dir}`);
  for (const f of files.filter((f) => f.startsWith(`${database}-`))) rmSync(path.join(dir, f));
  copyFileSync(seeded, path.join(dir, database));
  migrateShard(path.join(dir, database));
  fillEndpointStatsFromDeliveries(path.join(dir, database), now);
  withoutPlannerStatistics(path.join(dir, database));
  return persist;
}

/** Runs the scale Worker on the state folder until `stop`. */
export async function startScaleWorker(persist: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    WRANGLER,
    ["dev", "--config", CONFIG, "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persist, "--show-interactive-dev-session=false", "--log-level", "warn"],
    { cwd: ROOT, env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    const answered = await fetch(`${url}/_scale/none`).then(() => true, () => false);
    if (answered) return { url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function callRead(url: string, name: string, plan: ScalePlan): Promise<{ cost: ReadCost; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/_scale/${name}`, { method: "POST", body: JSON.stringify(plan) });
  if (!res.ok) throw new Error(`scale read ${name}: ${res.status} ${await res.text()}`);
  const cost = (await res.json()) as ReadCost;
  return { cost, ms: performance.now() - started };
}

/** The keys every read is called with: the biggest tenant's (the one whose reads scan the most if any does). */
export function planOf(catalog: SeedCatalog): ScalePlan {
  const tenant = catalog.tenants[0]!;
  const messages = tenant.sampleMessages;
  return {
    tenantId: tenant.id,
    endpoints: tenant.endpoints,
    // One from the middle of its history: neither end flatters a read.
    messageId: messages[Math.floor(messages.length / 2)]!,
    failedDeliveryId: tenant.sampleFailed[1]!.id,
    rareEvent: RARE_EVENT,
    rareSource: RARE_SOURCE,
    now: catalog.now,
  };
}

/** Seeds (or takes from the cache) the million-message shard and measures every read on it. */
export async function measureScale(log: (line: string) => void): Promise<ScaleResult> {
  const { file, catalog } = seededShard(SCALE_SETTINGS.messages, log);
  const persist = stateWith(file, catalog.now);
  const worker = await startScaleWorker(persist).catch((error) => {
    rmSync(persist, { recursive: true, force: true });
    throw error;
  });
  const plan = planOf(catalog);
  const rows: Record<string, number> = {};
  const ms: Record<string, number> = {};
  const returned: Record<string, number> = {};
  const written: Record<string, number> = {};
  const perPass: Record<string, number> = {};
  const queries: Record<string, number> = {};
  try {
    for (const name of ALL_SCALE_READS) {
      const calls = SCALE_WRITES.some((write) => write === name) ? 1 : SCALE_SETTINGS.callsPerRead;
      if (calls > 1) await callRead(worker.url, name, plan);
      const runs = [];
      for (let i = 0; i < calls; i++) runs.push(await callRead(worker.url, name, plan));
      const { cost } = runs.at(-1)!;
      const pass = PASSES.includes(name);
      rows[name] = pass ? cost.maxRowsReadPerQuery : cost.rowsRead;
      if (pass) {
        perPass[name] = cost.rowsRead;
        queries[name] = cost.statements;
      }
      written[name] = cost.rowsWritten;
      returned[name] = cost.returned;
      ms[name] = Math.round(percentile(runs.map((r) => r.ms), 50)! * 10) / 10;
      log(`  ${name}: ${cost.rowsRead} rows read in ${cost.statements} queries (at most ${cost.maxRowsReadPerQuery} by one), ${cost.returned} returned, ${ms[name]} ms`);
    }
  } finally {
    await worker.stop();
    rmSync(persist, { recursive: true, force: true });
  }
  return {
    messages: catalog.messages,
    deliveries: catalog.deliveries,
    shard_bytes: catalog.bytes,
    seed_seconds: catalog.seedSeconds,
    tenant: { id: plan.tenantId, messages: catalog.tenants[0]!.messages },
    rows_read_per_call: rows,
    max_rows_read_per_call: Math.max(...Object.values(rows)),
    rows_read_per_pass: perPass,
    queries_per_pass: queries,
    ms_per_call: ms,
    rows_returned: returned,
    rows_written_per_call: written,
  };
}

/** Where the scale phase's figures go in BENCHMARKS.md. */
export const SCALE_SECTION = { marker: "bench-scale", heading: "Latest scale run" };

/** The scale phase's figures as the Markdown of its BENCHMARKS.md section. */
export function renderScale(r: ScaleResult): string {
  const fmt = (v: number) => v.toLocaleString("en-US");
  const rows = Object.keys(r.rows_read_per_call).map((name) => {
    const pass = r.rows_read_per_pass[name] === undefined ? "" : ` (${fmt(r.rows_read_per_pass[name]!)} in ${fmt(r.queries_per_pass[name]!)} queries)`;
    return `| \`${name}\` | ${fmt(r.rows_read_per_call[name]!)}${pass} | ${fmt(r.rows_returned[name]!)} | ${fmt(r.rows_written_per_call[name]!)} | ${fmt(r.ms_per_call[name]!)} |`;
  });
  return [
    `One data shard holding ${fmt(r.messages)} messages and ${fmt(r.deliveries)} deliveries (${fmt(Math.round(r.shard_bytes / 1e6))} MB); ` +
      `every read called for its biggest tenant, \`${r.tenant.id}\` (${fmt(r.tenant.messages)} messages). Rows read are D1's own \`meta.rows_read\`, ` +
      `summed over the call's statements, except for the relay's passes (${PASSES.map((p) => `\`${p}\``).join(", ")}), which work in many small queries: ` +
      `for them it is the most rows one query read (D1 runs one query at a time per database, so that is what holds the shard up), with the pass's total and query count beside it. ` +
      `Time is the median of ${SCALE_SETTINGS.callsPerRead} calls through one local HTTP hop (the writes run once).`,
    "",
    "| read | D1 rows read (per query for the passes) | rows returned or acted on | D1 rows written | ms |",
    "|---|--:|--:|--:|--:|",
    ...rows,
    "",
    `Most rows read by one call (by one query of a pass): **${fmt(r.max_rows_read_per_call)}** (target ≤ 250).`,
  ].join("\n");
}
