import { describe, expect, it } from "vitest";
import { purgeOldMessages, rearmStuckDeliveries } from "../src/db/maintenance";
import { deliveryIdOf, KEY_EPOCH_MS, newMessageId, SQL_MESSAGE_KEY } from "../src/lib/ids";
import { newTenant } from "./support/api";
import { countingD1 } from "./support/counting-d1";
import { shardOf } from "./support/shards";

// Issue 25 bounds every upkeep query to ~250 D1 rows read however much work there is. How many
// (tenant, endpoint) pairs and tenant buckets a shard holds grows with its tenants, so neither may
// set how many rows one query reads.

const NOW = Date.UTC(2026, 11, 7, 12);
const MINUTE = 60_000;
const DAY = 86_400_000;
const ROWS_PER_QUERY = 250;

/** A tenant whose deliveries go to `endpoints` endpoint ids, one expired (40 days old) and one recent (1 day old) delivery each, written straight to the shard. */
async function deliveriesToManyEndpoints(endpoints: number) {
  const tenant = await newTenant();
  const db = await shardOf(tenant.id);
  const rows = Array.from({ length: endpoints }, (_, i) => [NOW - 40 * DAY + i, NOW - DAY + i]).flat();
  await db.batch(
    rows.map((at, i) =>
      db
        .prepare("INSERT INTO deliveries (tenant_id, endpoint_id, id, status, packed_queue_token, enqueued_at, created_at, updated_at) VALUES (?1, ?2, ?3, 'succeeded', 't', ?4, ?4, ?4)")
        .bind(tenant.id, `endpoint-${String(i >> 1).padStart(4, "0")}`, deliveryIdOf(newMessageId(tenant.id, at, 0), 0), at),
    ),
  );
  return { tenantId: tenant.id, db };
}

async function mostRowsReadByOneQuery(db: D1Database, run: (db: D1Database) => Promise<unknown>): Promise<number> {
  const { db: counted, statements } = countingD1(db);
  await run(counted);
  return Math.max(...statements.map((s) => s.rowsRead));
}

describe("upkeep on a shard with many endpoints and tenants", () => {
  it("retention purges every expired delivery to 400 endpoints, keeps the recent ones, no query reading more than 250 rows", async () => {
    const { tenantId, db } = await deliveriesToManyEndpoints(400);
    const most = await mostRowsReadByOneQuery(db, (d) => purgeOldMessages(d, NOW - 30 * DAY, 2000));
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
    const most = await mostRowsReadByOneQuery(db, (d) => purgeOldMessages(d, NOW - 30 * DAY, 2000));
    const left = await db.prepare("SELECT count(*) AS n, min(created_at) AS oldest FROM messages WHERE tenant_id = ?").bind(tenant.id).first<{ n: number; oldest: number }>();
    expect(left).toEqual({ n: 300, oldest: NOW - DAY });
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });

  it("the sweeper walks the fresh deliveries of 400 endpoints, no query reading more than 250 rows", async () => {
    const { db } = await deliveriesToManyEndpoints(400);
    const most = await mostRowsReadByOneQuery(db, (d) => rearmStuckDeliveries(d, NOW - 10 * MINUTE, NOW - 2 * DAY, NOW, 100));
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });
});
