import { describe, expect, it } from "vitest";
import { recordBatchResults } from "../src/db/batch-records";
import { readEndpointStats } from "../src/db/endpoint-stats";
import { rollupAttempts, windowStartOf, windowStats } from "../src/lib/endpoint-stats";
import { countingD1 } from "./support/counting-d1";
import { apiJson, bucket, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { shardOf } from "./support/shards";
import { consume, enqueueHeld, sweepHeld } from "./support/worker";
import { foldStats } from "./support/upkeep";

const DAY = 86_400_000;

const statsPath = (tenantId: string, endpointId: string, query = "") => `/v1/tenants/${tenantId}/endpoints/${endpointId}/stats${query}`;

/** Enqueues `count` messages with the queue held back and delivers them all in one consumer batch. */
async function deliverInOneBatch(tenantId: string, count: number) {
  const tasks: unknown[] = [];
  for (let i = 0; i < count; i++) tasks.push(...(await enqueueHeld(tenantId, { event: "x", payload: { n: i } })).tasks);
  return consume(tasks);
}

describe("endpoint stats", () => {
  it("count the attempts a real receiver saw, succeeded and failed by outcome, with latency", async () => {
    const { id, key } = await newTenant();
    const name = bucket();
    // The receiver answers 500 to the first 2 requests, 200 to the rest.
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/fail/2/${name}`, retry: { max_attempts: 1 } });
    await deliverInOneBatch(id, 5);
    const res = await apiJson("GET", statsPath(id, endpoint.id), { token: key });
    expect(res.status).toBe(200);
    const seen = (await received(name)).length;
    expect(seen).toBe(5);
    expect(res.body.window).toBe("24h");
    expect(res.body.totals).toMatchObject({ attempts: seen, succeeded: 3, failed: 2, success_rate: 3 / 5 });
    expect(res.body.totals.latency_ms.p50).toEqual(expect.any(Number));
    expect(res.body.totals.latency_ms.p95).toBeGreaterThanOrEqual(res.body.totals.latency_ms.p50);
  });

  it("count every attempt of a retried delivery, as its receiver saw them, not the delivery once", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/fail/2/${name}`, retry: { schedule: [0, 0] } });
    let pending = (await enqueueHeld(id, { event: "x", payload: 1 })).tasks as unknown[];
    while (pending.length > 0) pending = (await consume(pending)).retried;
    const { body } = await apiJson("GET", statsPath(id, endpoint.id, "?window=1h"));
    expect((await received(name)).length).toBe(3);
    expect(body.totals).toMatchObject({ attempts: 3, succeeded: 1, failed: 2 });
  });

  it("answer in exactly the contract's shape", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await deliverInOneBatch(id, 1);
    const { body } = await apiJson("GET", statsPath(id, endpoint.id, "?window=1h"));
    expect(Object.keys(body).sort()).toEqual(["series", "totals", "window"]);
    expect(Object.keys(body.totals).sort()).toEqual(["attempts", "failed", "latency_ms", "succeeded", "success_rate"]);
    expect(Object.keys(body.totals.latency_ms).sort()).toEqual(["p50", "p95"]);
    for (const b of body.series) expect(Object.keys(b).sort()).toEqual(["attempts", "failed", "start", "succeeded"]);
  });

  it("the series has every bucket of the window and adds up to the totals", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await deliverInOneBatch(id, 3);
    for (const [window, buckets] of [["1h", 12], ["24h", 24], ["7d", 28]] as const) {
      const { body } = await apiJson("GET", statsPath(id, endpoint.id, `?window=${window}`));
      expect(body.window).toBe(window);
      expect(body.series).toHaveLength(buckets);
      expect(body.series.reduce((sum: number, b: { attempts: number }) => sum + b.attempts, 0)).toBe(3);
      expect(body.series.at(-1).start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);
    }
  });

  it("an endpoint without attempts has no success rate and no latency", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const { body } = await apiJson("GET", statsPath(id, endpoint.id));
    expect(body.totals).toEqual({ attempts: 0, succeeded: 0, failed: 0, success_rate: null, latency_ms: { p50: null, p95: null } });
  });

  it("a batch's attempts to one endpoint are stored as one rollup row, not a row per attempt", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await deliverInOneBatch(id, 8);
    const rows = await (await shardOf(id)).prepare("SELECT succeeded FROM endpoint_stats WHERE tenant_id = ? AND endpoint_id = ?").bind(id, endpoint.id).all<{ succeeded: number }>();
    // Two only when the batch straddled a 5-minute boundary.
    expect(rows.results.length).toBeLessThanOrEqual(2);
    expect(rows.results.reduce((sum, r) => sum + r.succeeded, 0)).toBe(8);
  });

  it("an unknown window is a 400 naming the window parameter", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const res = await apiJson("GET", statsPath(id, endpoint.id, "?window=2h"));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.issues).toEqual([expect.objectContaining({ path: "window" })]);
  });

  it("a window in another case, empty or given twice is a 400 in the one error shape, not the default window", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    for (const query of ["?window=1H", "?window=", "?window=1h&window=7d"]) {
      const res = await apiJson("GET", statsPath(id, endpoint.id, query));
      expect([res.status, res.body.error?.code, res.body.error?.issues?.[0]?.path]).toEqual([400, "validation_failed", "window"]);
    }
  });

  it("a deleted endpoint's stats are a 404", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await deliverInOneBatch(id, 1);
    expect((await apiJson("DELETE", `/v1/tenants/${id}/endpoints/${endpoint.id}`)).status).toBe(204);
    const res = await apiJson("GET", statsPath(id, endpoint.id));
    expect([res.status, res.body.error.code]).toEqual([404, "not_found"]);
  });

  it("another tenant's endpoint is a 404, whether asked for under the other tenant or with its key", async () => {
    const owner = await newTenant();
    const other = await newTenant();
    const endpoint = await newEndpoint(owner.id, { url: `${receiverUrl()}/ok/${bucket()}` });
    expect((await apiJson("GET", statsPath(other.id, endpoint.id), { token: other.key })).status).toBe(404);
    expect((await apiJson("GET", statsPath(owner.id, endpoint.id), { token: other.key })).status).toBe(404);
  });
});

describe("endpoint stats are kept", () => {
  it("until their endpoint is deleted, and go with it", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await deliverInOneBatch(id, 1);
    const rows = () => shardOf(id).then((db) => db.prepare("SELECT count(*) AS n FROM endpoint_stats WHERE tenant_id = ?").bind(id).first("n"));
    expect(await rows()).toBe(1);
    expect((await apiJson("DELETE", `/v1/tenants/${id}/endpoints/${endpoint.id}`)).status).toBe(204);
    expect(await rows()).toBe(0);
  });

  it("not for an endpoint deleted while a batch was sending to it: the batch's rollup is not written after the deletion", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    expect((await apiJson("DELETE", `/v1/tenants/${id}/endpoints/${endpoint.id}`)).status).toBe(204);
    const db = await shardOf(id);
    // What the in-flight batch records when its attempt's answer comes back: the sweeper only purges
    // the rollups of endpoints that exist, so one written now would stay for ever.
    await recordBatchResults(db, [], [], [], rollupAttempts([{ tenantId: id, endpointId: endpoint.id, succeeded: true, durationMs: 30, at: Date.now() }]));
    expect(await db.prepare("SELECT count(*) AS n FROM endpoint_stats WHERE tenant_id = ?").bind(id).first("n")).toBe(0);
  });

  it("for 8 days: the sweeper purges older rollups and keeps newer ones", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await deliverInOneBatch(id, 1);
    const db = await shardOf(id);
    const starts = async () =>
      (await db
        .prepare("SELECT bucket_start FROM endpoint_stats WHERE tenant_id = ?1 AND endpoint_id = ?2 UNION ALL SELECT hour_start FROM endpoint_stats_hourly WHERE tenant_id = ?1 AND endpoint_id = ?2")
        .bind(id, endpoint.id)
        .all<{ bucket_start: number }>()).results.length;
    await sweepHeld(Date.now() + 7 * DAY);
    expect(await starts()).toBe(1);
    await sweepHeld(Date.now() + 8 * DAY + 600_000);
    expect(await starts()).toBe(0);
  });
});

describe("endpoint stats folded into hours", () => {
  const HOUR = 3_600_000;
  /** 2026-12-07 13:37 UTC. */
  const NOW = Date.UTC(2026, 11, 7, 13, 37);
  const hourStart = Date.UTC(2026, 11, 7, 13);

  /** Stores 5-minute rollups of one endpoint: [bucket start, succeeded, failed, slow (latency_7)]. */
  async function storeRollups(db: D1Database, tenantId: string, endpointId: string, rows: Array<[number, number, number, number]>) {
    await db.batch(
      rows.map(([start, succeeded, failed, slow]) =>
        db
          .prepare("INSERT INTO endpoint_stats (tenant_id, endpoint_id, bucket_start, succeeded, failed, latency_0, latency_7) VALUES (?, ?, ?, ?, ?, ?, ?)")
          .bind(tenantId, endpointId, start, succeeded, failed, succeeded + failed - slow, slow),
      ),
    );
  }

  async function tiers(db: D1Database, tenantId: string) {
    const count = async (table: string) => db.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`).bind(tenantId).first<number>("n");
    return { fiveMinute: await count("endpoint_stats"), hourly: await count("endpoint_stats_hourly") };
  }

  it("an endpoint's stats read the same for every window after the sweeper folds old 5-minute rollups into hours", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const db = await shardOf(id);
    await storeRollups(db, id, endpoint.id, [
      [hourStart - 3 * HOUR, 2, 1, 1], [hourStart - 3 * HOUR + 600_000, 1, 0, 0], [hourStart - 26 * HOUR + 300_000, 4, 0, 0],
      [hourStart - HOUR + 300_000, 0, 2, 2], [hourStart + 300_000, 5, 0, 0],
    ]);
    const read = async () => Promise.all((["1h", "24h", "7d"] as const).map(async (w) => windowStats(w, NOW, await readEndpointStats(db, id, endpoint.id, windowStartOf(w, NOW)))));
    const before = await read();
    expect(await foldStats(db, hourStart - HOUR, 1000)).toBeGreaterThanOrEqual(3);
    expect(await tiers(db, id)).toEqual({ fiveMinute: 2, hourly: 2 });
    expect(await read()).toEqual(before);
  });

  it("a later fold adds to an hour an earlier fold left", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const db = await shardOf(id);
    await storeRollups(db, id, endpoint.id, [[hourStart - 3 * HOUR, 2, 1, 0]]);
    await foldStats(db, hourStart - HOUR, 1000);
    await storeRollups(db, id, endpoint.id, [[hourStart - 3 * HOUR + 300_000, 1, 1, 0]]);
    await foldStats(db, hourStart - HOUR, 1000);
    const stats = windowStats("24h", NOW, await readEndpointStats(db, id, endpoint.id, windowStartOf("24h", NOW)));
    expect(stats.totals).toMatchObject({ attempts: 5, succeeded: 3, failed: 2 });
    expect(await tiers(db, id)).toEqual({ fiveMinute: 0, hourly: 1 });
  });

  it("folds more rollups than one query moves, no query reading more than 250 rows", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const shard = await shardOf(id);
    const starts = Array.from({ length: 200 }, (_, i) => hourStart - 2 * HOUR - i * 300_000);
    await storeRollups(shard, id, endpoint.id, starts.map((start): [number, number, number, number] => [start, 1, 0, 0]));
    const { db, statements } = countingD1(shard);
    expect(await foldStats(db, hourStart - HOUR, 1000)).toBeGreaterThanOrEqual(200);
    expect(await tiers(shard, id)).toEqual({ fiveMinute: 0, hourly: new Set(starts.map((start) => Math.floor(start / HOUR))).size });
    expect(Math.max(...statements.map((s) => s.rowsRead))).toBeLessThanOrEqual(250);
  });
});
