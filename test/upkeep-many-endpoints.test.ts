import { describe, expect, it } from "vitest";
import { deliveryIdOf, KEY_EPOCH_MS, newMessageId, SQL_MESSAGE_KEY } from "../src/lib/ids";
import { newTenant } from "./support/api";
import { countingD1 } from "./support/counting-d1";
import { insertBareEndpoints } from "./support/seed";
import { shardOf } from "./support/shards";
import { foldStats, purgeOld, purgeStats, rearmStuck } from "./support/upkeep";

// Issue 25 bounds every upkeep query to ~250 D1 rows read however much work there is. How many
// (tenant, endpoint) pairs and tenant buckets a shard holds grows with its tenants, so neither may
// set how many rows one query reads.

const NOW = Date.UTC(2026, 11, 7, 12);
const MINUTE = 60_000;
const DAY = 86_400_000;
const ROWS_PER_QUERY = 250;

/** A tenant whose deliveries go to `endpoints` endpoint ids, one expired (40 days old) and one recent (1 day old) delivery each, written straight to the shard. */
async function deliveriesToManyEndpoints(endpoints: number, status = "succeeded") {
  const tenant = await newTenant();
  const db = await shardOf(tenant.id);
  const rows = Array.from({ length: endpoints }, (_, i) => [NOW - 40 * DAY + i, NOW - DAY + i]).flat();
  await db.batch(
    rows.map((at, i) =>
      db
        .prepare("INSERT INTO deliveries (tenant_id, endpoint_id, id, status, packed_queue_token, enqueued_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?5, 't', ?4, ?4, ?4)")
        .bind(tenant.id, `endpoint-${String(i >> 1).padStart(4, "0")}`, deliveryIdOf(newMessageId(tenant.id, at, 0), 0), at, status),
    ),
  );
  return { tenantId: tenant.id, db };
}

async function mostRowsReadByOneQuery(db: D1Database, run: (db: D1Database) => Promise<unknown>): Promise<number> {
  return (await queriesOf(db, run)).most;
}

/** How many queries `run` made, and the most rows one of them read. */
async function queriesOf(db: D1Database, run: (db: D1Database) => Promise<unknown>): Promise<{ queries: number; most: number }> {
  const { db: counted, statements } = countingD1(db);
  await run(counted);
  return { queries: statements.length, most: Math.max(...statements.map((s) => s.rowsRead)) };
}

describe("upkeep on a shard with many endpoints and tenants", () => {
  it("retention purges every expired delivery to 400 endpoints, keeps the recent ones, no query reading more than 250 rows", async () => {
    const { tenantId, db } = await deliveriesToManyEndpoints(400);
    const most = await mostRowsReadByOneQuery(db, (d) => purgeOld(d, NOW - 30 * DAY, 2000));
    const left = await db.prepare("SELECT count(*) AS n, min(created_at) AS oldest FROM deliveries WHERE tenant_id = ?").bind(tenantId).first<{ n: number; oldest: number }>();
    expect(left).toEqual({ n: 400, oldest: NOW - DAY });
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });

  it("retention purges every expired message of 300 tenant buckets, no query reading more than 250 rows", async () => {
    const tenant = await newTenant();
    const db = await shardOf(tenant.id);
    const buckets = Array.from({ length: 300 }, (_, i) => i * 100);
    await db.batch(
      buckets.flatMap((bucket) =>
        [NOW - 40 * DAY, NOW - DAY].map((at) =>
          db
            .prepare(`INSERT INTO messages (key, tenant_id, packed_id, event, packed_targets, packed_created_at) VALUES (${SQL_MESSAGE_KEY("?1", "?2", "0")}, ?3, ?4, 'x', '[]', ?5)`)
            .bind(bucket, at - KEY_EPOCH_MS, tenant.id, `message-${bucket}-${at}`, at),
        ),
      ),
    );
    const most = await mostRowsReadByOneQuery(db, (d) => purgeOld(d, NOW - 30 * DAY, 2000));
    const left = await db.prepare("SELECT count(*) AS n, min(created_at) AS oldest FROM messages WHERE tenant_id = ?").bind(tenant.id).first<{ n: number; oldest: number }>();
    expect(left).toEqual({ n: 300, oldest: NOW - DAY });
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });

  it("the sweeper walks the fresh deliveries of 400 endpoints in a query per 60 of them (one page of their listing), not one each, none reading more than 250 rows", async () => {
    const { db } = await deliveriesToManyEndpoints(400);
    const pairs = (await db.prepare("SELECT count(*) AS n FROM (SELECT DISTINCT tenant_id, endpoint_id FROM deliveries)").first<number>("n"))!;
    const { queries, most } = await queriesOf(db, (d) => rearmStuck(d, NOW - 10 * MINUTE, NOW - 2 * DAY, NOW, 100));
    expect(queries).toBeLessThanOrEqual(2 * Math.ceil(pairs / 60) + 4);
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });

  it("the sweeper re-arms every stuck fresh delivery to 400 endpoints", async () => {
    const { tenantId, db } = await deliveriesToManyEndpoints(400, "pending");
    const rearmed = await rearmStuck(db, NOW - 10 * MINUTE, NOW - 2 * DAY, NOW, 1000);
    expect(new Set(rearmed.map((d) => d.id)).size).toBe(400);
    const fresh = await db.prepare("SELECT count(*) AS n FROM deliveries WHERE tenant_id = ? AND updated_at = created_at AND created_at > ?").bind(tenantId, NOW - 2 * DAY).first("n");
    expect(fresh).toBe(0);
  });

  it("the sweeper re-arms every stuck fresh delivery when its pages end part-way through the second of three endpoints", async () => {
    const tenant = await newTenant();
    const db = await shardOf(tenant.id);
    await db.batch(
      Array.from({ length: 300 }, (_, i) => {
        const at = NOW - DAY + i;
        return db
          .prepare("INSERT INTO deliveries (tenant_id, endpoint_id, id, status, packed_queue_token, enqueued_at, created_at, updated_at) VALUES (?1, ?2, ?3, 'pending', 't', ?4, ?4, ?4)")
          .bind(tenant.id, `endpoint-${i % 3}`, deliveryIdOf(newMessageId(tenant.id, at, 0), 0), at);
      }),
    );
    const rearmed = await rearmStuck(db, NOW - 10 * MINUTE, NOW - 2 * DAY, NOW, 1000);
    expect(new Set(rearmed.filter((d) => d.tenant_id === tenant.id).map((d) => d.id)).size).toBe(300);
    const tenantId = tenant.id;
    const fresh = await db.prepare("SELECT count(*) AS n FROM deliveries WHERE tenant_id = ? AND updated_at = created_at AND created_at > ?").bind(tenantId, NOW - 2 * DAY).first("n");
    expect(fresh).toBe(0);
  });
});

describe("endpoint stats upkeep on a shard with many endpoints", () => {
  const HOUR = 3_600_000;

  /** A tenant with `count` endpoints (written straight to the shard) and, for each, 5-minute rollups starting at each of `starts` (epoch ms). */
  async function endpointsWithRollups(count: number, starts: number[]) {
    const tenant = await newTenant();
    const db = await shardOf(tenant.id);
    const ids = Array.from({ length: count }, (_, i) => `${tenant.id}-endpoint-${i}`);
    await insertBareEndpoints(db, tenant.id, ids);
    await db.batch(
      ids.flatMap((id) =>
        starts.map((start) => db.prepare("INSERT INTO endpoint_stats (tenant_id, endpoint_id, bucket_start, succeeded) VALUES (?, ?, ?, 1)").bind(tenant.id, id, start)),
      ),
    );
    const attempts = async (table: string) => db.prepare(`SELECT count(*) AS rows, coalesce(sum(succeeded), 0) AS attempts FROM ${table} WHERE tenant_id = ?`).bind(tenant.id).first<{ rows: number; attempts: number }>();
    return { db, attempts };
  }

  it("the fold moves every old rollup of 400 endpoints into hours, no query reading more than 250 rows", async () => {
    const { db, attempts } = await endpointsWithRollups(400, [NOW - 3 * HOUR, NOW - 3 * HOUR + 5 * MINUTE, NOW - 10 * MINUTE]);
    const most = await mostRowsReadByOneQuery(db, (d) => foldStats(d, NOW - HOUR, 2000));
    expect({ fiveMinute: await attempts("endpoint_stats"), hourly: await attempts("endpoint_stats_hourly") }).toEqual({
      fiveMinute: { rows: 400, attempts: 400 },
      hourly: { rows: 400, attempts: 800 },
    });
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });

  it("the purge deletes every expired rollup of 400 endpoints and keeps the rest, no query reading more than 250 rows", async () => {
    const { db, attempts } = await endpointsWithRollups(400, [NOW - 9 * DAY, NOW - HOUR]);
    const most = await mostRowsReadByOneQuery(db, (d) => purgeStats(d, NOW - 8 * DAY, 2000));
    expect(await attempts("endpoint_stats")).toEqual({ rows: 400, attempts: 400 });
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });
});
