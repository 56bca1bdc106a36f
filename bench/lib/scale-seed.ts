/**
 * Builds a data-shard SQLite file holding a million messages and their deliveries, written row by
 * row with node:sqlite (Node 22+) in the schema of migrations/shard/*.sql and with the keys and ids
 * the relay itself makes (src/lib/ids.ts): going through the API would take hours at the ingest
 * rates BENCHMARKS.md reports, this takes well under a minute. The bench's scale phase
 * (bench/lib/scale.ts) then serves the file as a local D1 database and measures every read on it.
 *
 * The mix, over RETENTION_DAYS + a few minutes ending at `now` (so a retention pass has work):
 * six tenants of very different sizes, four endpoints each (one catch-all, one for `document.*`,
 * one that fails most of what it gets, one disabled), five event types of which one is rare (1 in
 * 1,000), three sources, one-off webhook_url deliveries, and every delivery status: succeeded on the
 * first attempt, after retries, failed with five attempts of history, retrying, cancelled,
 * scheduled (1 in 500 messages of the last day, due within the next day), and pending for the
 * newest few minutes.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { brotliCompressSync, constants } from "node:zlib";
import { deliveryIdOf, KEY_EPOCH_MS, tenantBucket } from "../../src/lib/ids.ts";
import { bucketStartOf, STATS_BUCKET_MS, STATS_FOLDED_BUCKET_MS, STATS_RETENTION_MS } from "../../src/lib/endpoint-stats.ts";
import { extractionPayload, random } from "./extraction-payload.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const SHARD_MIGRATIONS = path.join(ROOT, "migrations", "shard");
/** Where seeded files are kept between runs (gitignored): the key names the schema, the seeder and the size. */
export const SCALE_CACHE = path.join(ROOT, "bench", ".cache");

const DAY_MS = 86_400_000;
/** wrangler.toml RETENTION_DAYS: the seeded history spans it, plus EXPIRED_MS already due for purging. */
const RETENTION_DAYS = 30;
const EXPIRED_MS = 3 * 60_000;
/** The newest messages' deliveries are still pending: queued and not yet sent. */
const PENDING_MS = 2 * 60_000;
/** Share of the last day's messages enqueued with a delay: their deliveries wait as 'scheduled'. */
const SCHEDULED_SHARE = 0.002;

/** Share of the messages each tenant has. */
const TENANTS: Array<[id: string, share: number]> = [
  ["acme-docs", 0.45],
  ["globex-ocr", 0.25],
  ["initech-invoices", 0.15],
  ["umbrella-ai", 0.1],
  ["hooli-scan", 0.04],
  ["tiny-tenant", 0.01],
];
/** Event types and their share; the last one is the rare one a listing must still find fast. */
const EVENTS: Array<[string, number]> = [
  ["document.predicted", 0.7],
  ["invoice.extracted", 0.15],
  ["document.failed", 0.1],
  ["job.completed", 0.049],
  ["account.audited", 0.001],
];
export const RARE_EVENT = "account.audited";
const SOURCES: Array<[string | null, number]> = [
  ["invoices", 0.5],
  ["ocr", 0.29],
  ["receipts", 0.2],
  [null, 0.01],
];
export const RARE_SOURCE = "receipts";

/** One tenant as the scale phase's reads need it. */
export interface SeededTenant {
  id: string;
  messages: number;
  /** Endpoint ids: catch-all, `document.*`, mostly failing, disabled. */
  endpoints: { all: string; documents: string; failing: string; disabled: string };
  /** A few message ids spread over its history, newest last. */
  sampleMessages: string[];
  /** A few failed deliveries (of the failing endpoint), newest last. */
  sampleFailed: Array<{ id: string; endpoint_id: string }>;
}

/** What was seeded: enough for the scale phase to call every read with real keys. */
export interface SeedCatalog {
  /** The time the history ends at (epoch ms): reads pass it as `now`. */
  now: number;
  messages: number;
  deliveries: number;
  tenants: SeededTenant[];
  seedSeconds: number;
  bytes: number;
}

function pick<T>(next: () => number, weighted: Array<[T, number]>): T {
  let r = next();
  for (const [value, share] of weighted) {
    if (r < share) return value;
    r -= share;
  }
  return weighted.at(-1)![0];
}

const hex = (value: number, digits: number) => value.toString(16).padStart(digits, "0");

/** A message id as src/lib/ids.ts newMessageId makes it, with the randomness from `next`. */
function messageId(bucket: number, ms: number, seq: number, next: () => number): string {
  const digits =
    hex(ms, 12) + "7" + hex((seq << 5) | Math.floor(next() * 32), 3) + hex(0x8 | Math.floor(next() * 4), 1) +
    hex(bucket, 4) + hex(Math.floor(next() * 2 ** 28), 7) + "0000";
  return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;
}


/** The migrations a fresh shard gets, in order. */
function shardMigrations(): Array<{ name: string; sql: string }> {
  return readdirSync(SHARD_MIGRATIONS)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((name) => ({ name, sql: readFileSync(path.join(SHARD_MIGRATIONS, name), "utf8") }));
}

/**
 * Bumped whenever the seeded rows change (their mix, or a migration that changes the row layout):
 * a cached shard of another version is seeded again. Migrations that only add indexes do not need
 * it: migrateShard applies them to the copy each run takes.
 */
const SEED_VERSION = 2;

/** wrangler's own record of applied migrations (`wrangler d1 migrations apply`), kept in the seeded file too. */
const MIGRATIONS_TABLE =
  "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)";

/** Applies the shard migrations `file` does not have yet (by wrangler's d1_migrations table); returns their names. */
export function migrateShard(file: string): string[] {
  const db = new DatabaseSync(file);
  try {
    db.exec(MIGRATIONS_TABLE);
    const applied = new Set(db.prepare("SELECT name FROM d1_migrations").all().map((r) => String(r.name)));
    const missing = shardMigrations().filter((m) => !applied.has(m.name));
    for (const m of missing) {
      db.exec("BEGIN");
      db.exec(m.sql);
      db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").run(m.name);
      db.exec("COMMIT");
    }
    if (missing.length > 0) db.exec("ANALYZE");
    return missing.map((m) => m.name);
  } finally {
    db.close();
  }
}

/**
 * Fills the endpoint stats (migrations/shard/0010 and 0016, newer than the cached seed) of the shard
 * copy in `file` from its deliveries, when they are empty: one rollup per endpoint and 5-minute
 * bucket that had a latest attempt in the STATS_RETENTION_MS before `now` (epoch ms), as the consumer
 * would have written them, with the buckets of hours that ended over an hour ago folded into hours,
 * as the sweeper would have (src/db/endpoint-stats.ts foldEndpointStatsIntoHours). Dashboard reads
 * of endpoint stats then read as many rollups as they would in production. Returns how many it wrote.
 */
export function fillEndpointStatsFromDeliveries(file: string, now: number): number {
  const db = new DatabaseSync(file);
  const folded = bucketStartOf(now, STATS_FOLDED_BUCKET_MS) - STATS_FOLDED_BUCKET_MS;
  try {
    if (Number(db.prepare("SELECT count(*) AS n FROM endpoint_stats").get()!.n) > 0) return 0;
    const rollups = (table: string, start: string, size: number, from: number, to: number) =>
      db
        .prepare(
          `INSERT INTO ${table} (tenant_id, endpoint_id, ${start}, succeeded, failed, latency_2)
           SELECT tenant_id, endpoint_id, last_attempt_at / ${size} * ${size}, sum(last_outcome = 'ok'), sum(last_outcome <> 'ok'), count(*)
           FROM deliveries WHERE endpoint_id <> '' AND last_attempt_at >= ? AND last_attempt_at < ?
           GROUP BY 1, 2, 3`,
        )
        .run(from, to).changes;
    const written = Number(rollups("endpoint_stats_hourly", "hour_start", STATS_FOLDED_BUCKET_MS, now - STATS_RETENTION_MS, folded)) + Number(rollups("endpoint_stats", "bucket_start", STATS_BUCKET_MS, folded, now));
    db.exec("ANALYZE endpoint_stats; ANALYZE endpoint_stats_hourly;");
    return written;
  } finally {
    db.close();
  }
}

/**
 * Drops the planner's statistics (sqlite_stat1, which ANALYZE wrote while seeding) from the shard
 * copy in `file`: a D1 database created by migrations has none unless someone runs ANALYZE or
 * PRAGMA optimize, and without them SQLite may pick another join order or index. The scale phase
 * measures the plans production gets.
 */
export function withoutPlannerStatistics(file: string): void {
  const db = new DatabaseSync(file);
  try {
    db.exec("DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4;");
  } finally {
    db.close();
  }
}

interface DeliveryRow {
  endpoint: string;
  id: string;
  status: string;
  attempts: number;
  history: string | null;
  createdAt: number;
  updatedAt: number;
  lastAttemptAt: number | null;
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  lastOutcome: string | null;
  lastErrorKind: string | null;
}

/** Attempts of a delivery that failed at `first` and was retried `count - 1` times, as `history` keeps them. */
function failedHistory(first: number, count: number): string {
  return JSON.stringify(
    Array.from({ length: count }, (_, i) => ({
      attempt: i + 1, outcome: "retryable", status_code: 503, error_kind: "status", error: "HTTP 503",
      duration_ms: 120 + i, response: "upstream unavailable", created_at: first + i * 60_000,
    })),
  );
}

/** The deliveries of one message at `at` to its targets, statuses drawn from `next`. */
function deliveriesOf(id: string, targets: string[], failing: string, at: number, now: number, next: () => number): DeliveryRow[] {
  const dueAt = at > now - DAY_MS && next() < SCHEDULED_SHARE ? now + Math.floor(next() * DAY_MS) : null;
  return targets.map((endpoint, ordinal) => {
    const base = { endpoint, id: deliveryIdOf(id, ordinal), createdAt: at, history: null, lastErrorKind: null, lastError: null, nextAttemptAt: null };
    if (dueAt !== null) {
      return { ...base, status: "scheduled", attempts: 0, updatedAt: at, lastAttemptAt: null, lastStatusCode: null, lastOutcome: null, nextAttemptAt: dueAt };
    }
    if (at > now - PENDING_MS) {
      return { ...base, status: "pending", attempts: 0, updatedAt: at, lastAttemptAt: null, lastStatusCode: null, lastOutcome: null };
    }
    const r = next();
    const failingEndpoint = endpoint === failing;
    if ((failingEndpoint && r < 0.6) || (!failingEndpoint && r < 0.005)) {
      const last = at + 4 * 3_600_000;
      return {
        ...base, status: "failed", attempts: 5, history: failedHistory(at + 1000, 4), updatedAt: last, lastAttemptAt: last,
        lastStatusCode: 503, lastOutcome: "retryable", lastErrorKind: "status", lastError: "HTTP 503",
      };
    }
    if ((failingEndpoint && r < 0.7 && at > now - DAY_MS) || (!failingEndpoint && r < 0.006 && at > now - DAY_MS)) {
      return {
        ...base, status: "retrying", attempts: 2, history: failedHistory(at + 1000, 1), updatedAt: at + 61_000, lastAttemptAt: at + 61_000,
        nextAttemptAt: at + 600_000, lastStatusCode: 503, lastOutcome: "retryable", lastErrorKind: "status", lastError: "HTTP 503",
      };
    }
    if (!failingEndpoint && r < 0.011) {
      return { ...base, status: "cancelled", attempts: 0, updatedAt: at + 500, lastAttemptAt: null, lastStatusCode: null, lastOutcome: null, lastError: "endpoint disabled" };
    }
    const retried = failingEndpoint ? 1 : 0;
    const done = at + 300 + retried * 60_000;
    return {
      ...base, status: "succeeded", attempts: 1 + retried, history: retried ? failedHistory(at + 300, 1) : null,
      updatedAt: done, lastAttemptAt: done, lastStatusCode: 200, lastOutcome: "ok",
    };
  });
}

/** Writes the whole shard into `file`; returns the catalogue of what it holds. */
function build(file: string, total: number, now: number): Omit<SeedCatalog, "seedSeconds" | "bytes"> {
  const db = new DatabaseSync(file);
  db.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -400000;");
  db.exec(MIGRATIONS_TABLE);
  for (const m of shardMigrations()) {
    db.exec(m.sql);
    db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").run(m.name);
  }
  const next = random(total);
  const payloads = Array.from({ length: 32 }, (_, i) => {
    const bytes = new TextEncoder().encode(JSON.stringify(extractionPayload(i + 1)));
    return brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 10, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } });
  });
  const insertTenant = db.prepare("INSERT INTO tenants (id) VALUES (?)");
  const insertEndpoint = db.prepare(
    `INSERT INTO endpoints (id, tenant_id, url, events, source, enabled, signature, retry, timeout_ms, disabled_reason, failing_since, last_failed_at, created_at, updated_at, slow_since)
     VALUES (?, ?, ?, ?, ?, ?, '{"scheme":"standard"}', '{}', 10000, ?, ?, ?, ?, ?, NULL)`,
  );
  const insertMessage = db.prepare(
    "INSERT INTO messages (key, tenant_id, packed_id, event, source, packed_targets, webhook_url, payload, payload_r2, packed_created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
  );
  const insertDelivery = db.prepare(
    `INSERT INTO deliveries (tenant_id, endpoint_id, id, status, attempts, attempt_base, packed_queue_token, enqueued_at, next_attempt_at, last_attempt_at,
       last_attempt, last_status_code, last_error_kind, last_error, last_duration_ms, last_outcome, last_response, history, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertKey = db.prepare("INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, created_at) VALUES (?, ?, ?, ?, ?)");
  const start = now - RETENTION_DAYS * DAY_MS - EXPIRED_MS;
  const tenants: SeededTenant[] = [];
  let messages = 0;
  let deliveries = 0;
  db.exec("BEGIN");
  for (const [tenantId, share] of TENANTS) {
    insertTenant.run(tenantId);
    const endpoints: SeededTenant["endpoints"] = { all: randomUUID(), documents: randomUUID(), failing: randomUUID(), disabled: randomUUID() };
    const created = start - DAY_MS;
    insertEndpoint.run(endpoints.all, tenantId, "https://hooks.example.com/all", "[]", null, 1, null, null, null, created, created);
    insertEndpoint.run(endpoints.documents, tenantId, "https://hooks.example.com/documents", '["document.*"]', null, 1, null, null, null, created, created);
    insertEndpoint.run(endpoints.failing, tenantId, "https://flaky.example.com/hook", "[]", RARE_SOURCE, 1, null, now - 3_600_000, now - 60_000, created, created);
    insertEndpoint.run(endpoints.disabled, tenantId, "https://gone.example.com/hook", "[]", null, 0, "Disabled by the tenant", null, null, created, created);
    const count = Math.round(total * share);
    const bucket = tenantBucket(tenantId);
    const step = (now - start) / count;
    const byEndpoint = new Map<string, DeliveryRow[]>([...Object.values(endpoints), ""].map((e) => [e, []]));
    const sampleMessages: string[] = [];
    let lastMs = -1;
    let seq = 0;
    for (let i = 0; i < count; i++) {
      const ms = Math.floor(start + i * step);
      seq = ms === lastMs ? seq + 1 : 0;
      lastMs = ms;
      const id = messageId(bucket, ms, seq, next);
      const key = (BigInt(bucket) << 47n) | (BigInt(ms - KEY_EPOCH_MS) << 7n) | BigInt(seq);
      const event = pick(next, EVENTS);
      const source = pick(next, SOURCES);
      const targets: string[] = [endpoints.all];
      if (event.startsWith("document.")) targets.push(endpoints.documents);
      if (source === RARE_SOURCE) targets.push(endpoints.failing);
      const oneOff = next() < 0.03;
      if (oneOff) targets.push("");
      insertMessage.run(key, tenantId, id, event, source, JSON.stringify(targets), oneOff ? "https://once.example.com/hook" : null, payloads[i % payloads.length]!, ms);
      for (const d of deliveriesOf(id, targets, endpoints.failing, ms, now, next)) byEndpoint.get(d.endpoint)!.push(d);
      if (ms > now - DAY_MS && next() < 0.05) insertKey.run(tenantId, `key-${i}`, "0".repeat(64), id, ms);
      if (i % Math.max(1, Math.floor(count / 8)) === 0 || i === count - 1) sampleMessages.push(id);
    }
    // WITHOUT ROWID rows go in in primary-key order: (tenant, endpoint, id), ids in time order.
    for (const endpoint of [...byEndpoint.keys()].sort()) {
      for (const d of byEndpoint.get(endpoint)!) {
        insertDelivery.run(
          tenantId, endpoint, d.id, d.status, d.attempts, hex(Math.floor(next() * 2 ** 32), 16), d.createdAt, d.nextAttemptAt, d.lastAttemptAt,
          d.lastOutcome ? d.attempts : null, d.lastStatusCode, d.lastErrorKind, d.lastError, d.lastOutcome ? 130 : null, d.lastOutcome,
          d.lastOutcome ? (d.status === "succeeded" ? "ok" : "upstream unavailable") : null, d.history, d.createdAt, d.updatedAt,
        );
      }
      deliveries += byEndpoint.get(endpoint)!.length;
    }
    const failed = byEndpoint.get(endpoints.failing)!.filter((d) => d.status === "failed");
    tenants.push({
      id: tenantId,
      messages: count,
      endpoints,
      sampleMessages,
      sampleFailed: [0.1, 0.5, 0.9, 1].map((f) => failed[Math.min(failed.length - 1, Math.floor(f * failed.length))]!).map((d) => ({ id: d.id, endpoint_id: endpoints.failing })),
    });
    messages += count;
  }
  db.exec("COMMIT");
  db.exec("ANALYZE; PRAGMA journal_mode = DELETE;");
  db.close();
  return { now, messages, deliveries, tenants };
}

/**
 * The seeded shard of `messages` messages: built into bench/.cache on first use (or when
 * SEED_VERSION changed), reused after. Returns the file and its catalogue; migrations newer than the
 * file are applied by migrateShard on the copy a run takes.
 */
export function seededShard(messages: number, log: (line: string) => void): { file: string; catalog: SeedCatalog } {
  mkdirSync(SCALE_CACHE, { recursive: true });
  const key = `scale-${messages}-v${SEED_VERSION}`;
  const file = path.join(SCALE_CACHE, `${key}.sqlite`);
  const catalogFile = path.join(SCALE_CACHE, `${key}.json`);
  if (existsSync(file) && existsSync(catalogFile)) return { file, catalog: JSON.parse(readFileSync(catalogFile, "utf8")) as SeedCatalog };
  for (const old of readdirSync(SCALE_CACHE).filter((f) => f.startsWith(`scale-${messages}-`))) rmSync(path.join(SCALE_CACHE, old), { force: true });
  log(`seeding ${messages.toLocaleString("en")} messages into ${path.relative(ROOT, file)} (cached for later runs)`);
  const started = Date.now();
  const building = `${file}.building`;
  rmSync(building, { force: true });
  const built = build(building, messages, Date.now());
  renameSync(building, file);
  const catalog: SeedCatalog = { ...built, seedSeconds: Math.round((Date.now() - started) / 1000), bytes: statSync(file).size };
  writeFileSync(catalogFile, JSON.stringify(catalog, null, 2));
  return { file, catalog };
}
