import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { deliveryIdOf, newMessageId } from "../src/lib/ids";
import { shardCount, shardDb, withDatabases } from "../src/shards";
import { countingD1, type RanStatement } from "./support/counting-d1";
import { withRetryingD1 } from "../src/db/transient";
import { faultyD1 } from "../src/faults/bindings";
import { FaultInjector } from "../src/faults/injector";
import { InvocationCaps } from "../src/faults/invocation-caps";
import { NO_FAULTS } from "../src/faults/spec";
import { sweep, SWEEP_RETRIES } from "../src/delivery/sweeper";
import { SWEEP_QUERY_BUDGET } from "../src/delivery/sweep-turns";
import { ADMIN, apiJson } from "./support/api";
import { insertBareEndpoints } from "./support/seed";
import { cronWith, holdingQueue, sweepHeld } from "./support/worker";

// D1 allows 1,000 queries per Worker invocation (src/delivery/sweeper.ts SWEEP_QUERY_BUDGET), and
// workerd does not cap them locally: these sweeps run with a small budget passed in and count every
// statement (each of a batch as one), so a shard with more ranges than one sweep covers shows what
// production would do with thousands of endpoints.

const NOW = Date.UTC(2026, 11, 7, 12);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The queries each test's sweep may make, over both data shards (half each). */
const BUDGET = 200;
/** Most sweeps a walk may take to cover a test's ranges: each covers some, so a few dozen is ample. */
const MOST_SWEEPS = 30;

let unique = 0;
/** A tenant no other test uses, written straight to shard `index` (its rows are too). */
async function tenantOn(index: number, what: string): Promise<string> {
  const tenantId = `${what}-${++unique}-${crypto.randomUUID()}`;
  await shardDb(env, index).prepare("INSERT INTO tenants (id) VALUES (?)").bind(tenantId).run();
  return tenantId;
}

/** The statement that writes a delivery of `tenantId` to `endpointId` created at `at` (epoch ms) with `status` straight to the shard, with the delivery's `id`. */
function delivery(db: D1Database, tenantId: string, endpointId: string, at: number, status: string) {
  const id = deliveryIdOf(newMessageId(tenantId, at, 0), 0);
  const statement = db
    .prepare("INSERT INTO deliveries (tenant_id, endpoint_id, id, status, packed_queue_token, enqueued_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?5, 't', ?4, ?4, ?4)")
    .bind(tenantId, endpointId, id, at, status);
  return Object.assign(statement, { id });
}

/** A tenant on shard `index` whose deliveries go to `pairs` endpoints: one expired (40 days old) and one recent (1 day old) delivery each. */
async function expiredPairs(index: number, pairs: number) {
  const db = shardDb(env, index);
  const tenantId = await tenantOn(index, "pairs");
  await db.batch(Array.from({ length: pairs }, (_, i) => [delivery(db, tenantId, `e-${i}`, NOW - 40 * DAY + i, "succeeded"), delivery(db, tenantId, `e-${i}`, NOW - DAY + i, "succeeded")]).flat());
  const left = async () => db.prepare("SELECT count(*) AS n, min(created_at) AS oldest FROM deliveries WHERE tenant_id = ?").bind(tenantId).first<{ n: number; oldest: number }>();
  return { tenantId, db, left };
}

/** A tenant on shard `index` with `count` endpoints, each with a 5-minute rollup from 3 hours ago: old enough to fold into its hour. */
async function endpointsWithOldRollups(index: number, count: number) {
  const db = shardDb(env, index);
  const tenantId = await tenantOn(index, "stats");
  const ids = Array.from({ length: count }, (_, i) => `${tenantId}-endpoint-${i}`);
  await insertBareEndpoints(db, tenantId, ids);
  await db.batch(ids.map((id) => db.prepare("INSERT INTO endpoint_stats (tenant_id, endpoint_id, bucket_start, succeeded) VALUES (?, ?, ?, 1)").bind(tenantId, id, NOW - 3 * HOUR)));
  const unfolded = async () => db.prepare("SELECT count(*) AS n FROM endpoint_stats WHERE tenant_id = ?").bind(tenantId).first<number>("n");
  return { unfolded };
}

/** A fresh delivery on shard `index` whose queue message never arrived (pending since 30 minutes before NOW): the sweeper must re-arm it. */
async function stuckDelivery(index: number) {
  const db = shardDb(env, index);
  const tenantId = await tenantOn(index, "stuck");
  const at = NOW - 30 * MINUTE;
  const statement = delivery(db, tenantId, "e-stuck", at, "pending");
  await statement.run();
  const id = statement.id;
  // A re-armed delivery leaves the fresh state (src/db/maintenance.ts rearmStuckDeliveries).
  const rearmed = async () => (await db.prepare("SELECT updated_at > created_at AS rearmed FROM deliveries WHERE id = ?").bind(id).first<number>("rearmed")) === 1;
  return { rearmed };
}

/** Sweeps as if at NOW within `queries`, counting every statement each shard ran; answers the queue messages and the statements. */
async function countedSweep(queries = BUDGET): Promise<{ requeued: number; statements: RanStatement[] }> {
  const ranOn: RanStatement[][] = [];
  const counted = withDatabases(env, (db) => {
    const { db: counting, statements } = countingD1(db);
    ranOn.push(statements);
    return counting;
  });
  const tasks = await sweepHeld(NOW, counted, queries);
  return { requeued: tasks.length, statements: ranOn.flat() };
}

/** Sweeps until `done` answers true, at most MOST_SWEEPS times; answers how many sweeps it took and the most statements one made. */
async function sweepUntil(done: () => Promise<boolean>, queries = BUDGET): Promise<{ sweeps: number; mostStatements: number }> {
  let mostStatements = 0;
  for (let sweeps = 1; sweeps <= MOST_SWEEPS; sweeps++) {
    const { statements } = await countedSweep(queries);
    mostStatements = Math.max(mostStatements, statements.length);
    if (await done()) return { sweeps, mostStatements };
  }
  throw new Error(`not done after ${MOST_SWEEPS} sweeps`);
}

/** `count` endpoints on shard `index` with one recent delivery each: more pairs and endpoints than a sweep's share walks. */
async function manyPairsAndEndpoints(index: number, count: number): Promise<void> {
  const db = shardDb(env, index);
  const tenantId = await tenantOn(index, "many");
  const ids = Array.from({ length: count }, (_, i) => `${tenantId}-endpoint-${i}`);
  await insertBareEndpoints(db, tenantId, ids);
  await db.batch(ids.map((id, i) => delivery(db, tenantId, id, NOW - DAY + i, "succeeded")));
}

/**
 * `db` that D1's overload refuses on every statement and batch the first time it is tried and runs
 * the second (src/faults: each draw of [0, 0, 0.99] is a refusal, then its retry), counting every
 * query tried against `caps`.
 */
function refusingEveryFirstTry(db: D1Database, caps: InvocationCaps): D1Database {
  const draws = [0, 0, 0.99];
  let draw = 0;
  return faultyD1(db, new FaultInjector({ ...NO_FAULTS, d1ErrorRate: 0.5 }, () => draws[draw++ % draws.length]!), caps);
}

/** `db` on which every statement whose SQL contains `text` fails, as a D1 that keeps failing one step would. */
function failingOn(db: D1Database, text: string): D1Database {
  return new Proxy(db, {
    get(target, property) {
      if (property !== "prepare") {
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (sql: string) => {
        if (!sql.includes(text)) return target.prepare(sql);
        const failing = { bind: () => failing, run: () => Promise.reject(new Error(`D1_ERROR: ${text} failed`)) };
        return failing as unknown as D1PreparedStatement;
      };
    },
  });
}

/**
 * `count` tenants on shard `index` (in the control database too), each with an endpoint failing for
 * 7 days (past AUTO_DISABLE_AFTER_SECONDS) and one subscribed to `endpoint.disabled`.
 */
async function failingTenants(index: number, count: number) {
  const db = shardDb(env, index);
  const tenants = Array.from({ length: count }, () => `failing-${++unique}-${crypto.randomUUID()}`);
  await env.DB.batch(tenants.map((t) => env.DB.prepare("INSERT INTO tenants (id, name, shard, created_at) VALUES (?, 'failing', ?, 0)").bind(t, index)));
  await db.batch(tenants.map((t) => db.prepare("INSERT INTO tenants (id) VALUES (?)").bind(t)));
  const endpoint = "INSERT INTO endpoints (id, tenant_id, url, signature, retry, timeout_ms, created_at, updated_at, failing_since, last_failed_at, events) VALUES (?, ?, 'https://example.com/hook', '{}', '{}', 1000, 0, 0, ?, ?, ?)";
  await db.batch(tenants.flatMap((t) => [
    db.prepare(endpoint).bind(crypto.randomUUID(), t, NOW - 7 * DAY, NOW - MINUTE, "[]"),
    db.prepare(endpoint).bind(crypto.randomUUID(), t, null, null, '["endpoint.disabled"]'),
  ]));
  const enabledFailing = async () => db.prepare("SELECT count(*) AS n FROM endpoints WHERE enabled = 1 AND failing_since IS NOT NULL").first<number>("n");
  return { enabledFailing };
}

/** The tables a test writes, children first: each test starts from empty shards, and from no sweeper marks. */
const TABLES = ["deliveries", "endpoint_stats", "endpoint_stats_hourly", "endpoints", "tenants", "sweeper_state", "sweeper_walks"];

describe("the sweeper's D1 query budget", () => {
  beforeEach(async () => {
    for (let index = 0; index < shardCount(env); index++) {
      const db = shardDb(env, index);
      await db.batch(TABLES.map((table) => db.prepare(`DELETE FROM ${table}`)));
    }
  });

  it("a sweep makes no more D1 queries than its budget, over every shard, however many ranges they hold", async () => {
    await expiredPairs(0, 500);
    await endpointsWithOldRollups(1, 300);
    // Unbudgeted, these ranges take ~75 queries a sweep.
    const { statements } = await countedSweep(40);
    expect(shardCount(env)).toBeGreaterThan(1);
    expect(statements.length).toBeLessThanOrEqual(40);
  });

  it("purges every expired delivery of a shard with more (tenant, endpoint) pairs than one sweep covers, over successive sweeps, keeping the recent ones", async () => {
    const shard = await expiredPairs(0, 1000);
    const { sweeps, mostStatements } = await sweepUntil(async () => (await shard.left())!.n === 1000);
    expect(sweeps).toBeGreaterThan(1);
    expect(await shard.left()).toEqual({ n: 1000, oldest: NOW - DAY });
    expect(mostStatements).toBeLessThanOrEqual(BUDGET);
  });

  it("folds every old rollup of a shard with more endpoints than one sweep covers, over successive sweeps", async () => {
    const stats = await endpointsWithOldRollups(0, 1500);
    const { sweeps, mostStatements } = await sweepUntil(async () => (await stats.unfolded()) === 0);
    expect(sweeps).toBeGreaterThan(1);
    expect(mostStatements).toBeLessThanOrEqual(BUDGET);
  });

  it("re-arms a lost delivery behind more (tenant, endpoint) pairs than re-arming's share of one sweep walks, over successive sweeps", async () => {
    await expiredPairs(0, 1000);
    // Its tenant id sorts after the other tenant's: the walk reaches its pair last.
    const lost = await stuckDelivery(0);
    const { sweeps, mostStatements } = await sweepUntil(lost.rearmed, 40);
    expect(sweeps).toBeGreaterThan(1);
    expect(mostStatements).toBeLessThanOrEqual(40);
  });

  it("re-arms a lost delivery behind more (tenant, endpoint) pairs than one sweep walks while a later step of that shard's sweep fails every run", async () => {
    await expiredPairs(0, 1000);
    const lost = await stuckDelivery(0);
    const purgeFails = withDatabases(env, (db) => failingOn(db, "DELETE FROM idempotency_keys"));
    for (let sweeps = 0; sweeps < MOST_SWEEPS && !(await lost.rearmed()); sweeps++) await sweepHeld(NOW, purgeFails, 40);
    expect(await lost.rearmed()).toBe(true);
  });

  it("re-arms a lost delivery even when expiry has more to do than the budget leaves", async () => {
    const shard = await expiredPairs(0, 400);
    const lost = await stuckDelivery(0);
    const { requeued } = await countedSweep();
    expect({ requeued, rearmed: await lost.rearmed() }).toEqual({ requeued: 1, rearmed: true });
    // The rest of the budget ran out before every expired delivery went: 400 pairs are more than one sweep purges.
    expect((await shard.left())!.n).toBeGreaterThan(400);
  });

  it("one shard with many endpoints leaves another shard its share: that shard's lost delivery is re-armed and its expired delivery purged in the same sweep", async () => {
    await expiredPairs(0, 1500);
    await endpointsWithOldRollups(0, 1500);
    const lost = await stuckDelivery(1);
    const small = await expiredPairs(1, 1);
    await countedSweep();
    expect(await lost.rearmed()).toBe(true);
    expect(await small.left()).toEqual({ n: 1, oldest: NOW - DAY });
  });

  it("a budget too small to sweep every shard at once fails no shard: the shards take turns", async () => {
    // 10 queries over two shards left each 3, fewer than a shard's fixed queries: every shard threw RangeError every run.
    const { queue } = holdingQueue();
    const reports = [await sweep({ ...env, DELIVERIES: queue }, NOW, 10), await sweep({ ...env, DELIVERIES: queue }, NOW + MINUTE, 10)];
    expect(reports.map((r) => r.failedShards)).toEqual([[], []]);
  });

  it("a budget too small to walk every shard's fresh deliveries at once still re-arms a lost delivery on every shard within a few sweeps", async () => {
    // 16 queries over two shards left each 6: enough for the fixed queries, never for re-arming's fresh walk.
    const lost = [await stuckDelivery(0), await stuckDelivery(1)];
    for (let minute = 0; minute < 4; minute++) await sweep({ ...env, DELIVERIES: holdingQueue().queue }, NOW + minute * MINUTE, 16);
    expect(await Promise.all(lost.map((l) => l.rearmed()))).toEqual([true, true]);
  });

  it("a sweep whose every statement D1 first refuses as overloaded, and takes when tried again, stays under D1's 1,000 queries an invocation, retries included", async () => {
    await Promise.all([0, 1].map((index) => manyPairsAndEndpoints(index, 3000)));
    // D1's cap as src/faults injects it (d1_queries_per_invocation=1000), counted over every database of the run.
    const capped = new FaultInjector({ ...NO_FAULTS, d1QueriesPerInvocation: 1000 });
    const caps = new InvocationCaps(capped);
    const refusing = withDatabases(env, (db) => refusingEveryFirstTry(db, caps));
    const report = await sweep(withRetryingD1({ ...refusing, DELIVERIES: holdingQueue().queue }, SWEEP_RETRIES), NOW);
    // Unbounded, the second tries took it to ~1,600 queries. Once SWEEP_RETRIES are spent a refusal fails its shard, for the next run to redo.
    expect(capped.injected.d1_error).toBe(0);
    expect(report.failedShards).toEqual([0, 1]);
  }, 60_000);

  it("a sweep that disables the failing endpoints of many tenants, each with an endpoint subscribed to endpoint.disabled, stays under D1's 1,000 queries an invocation, the events included", async () => {
    await apiJson("POST", "/v1/operational-endpoints", { token: ADMIN, body: { url: "https://example.com/operations" } });
    await Promise.all([0, 1].map((index) => manyPairsAndEndpoints(index, 3000)));
    await failingTenants(0, 150);
    const { statements } = await countedSweep(SWEEP_QUERY_BUDGET);
    expect(statements.length).toBeLessThanOrEqual(1000);
  }, 60_000);

  it("disables every failing endpoint of many tenants over successive sweeps", async () => {
    const shard = await failingTenants(0, 60);
    await sweepUntil(async () => (await shard.enabledFailing()) === 0);
  });

  it("a cron run over a shard with more ranges than 1,000 queries would sweep stays under D1's per-invocation cap, injected as Cloudflare enforces it", async () => {
    // Unbudgeted, 6,500 pairs and 6,500 endpoints take ~1,100 queries a sweep (SCALING.md): past the cap.
    await manyPairsAndEndpoints(0, 6500);
    const capped = { ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "d1_queries_per_invocation=1000 kv_operations_per_invocation=1000" };
    await expect(cronWith(capped, NOW)).resolves.toBeUndefined();
  });
});
