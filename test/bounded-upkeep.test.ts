import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { replayFailedForEndpoint } from "../src/db/deliveries";
import { loadDeliveryWork } from "../src/db/delivery-work";
import { deliveryIdOf, messageKeyOf, newMessageId, rowKeyText } from "../src/lib/ids";
import { shardCount, withDatabases } from "../src/shards";
import { newEndpoint, newTenant } from "./support/api";
import { countingD1, type RanStatement } from "./support/counting-d1";
import { shardOf } from "./support/shards";
import { sweepHeld } from "./support/worker";
import { purgeOld, rearmStuck } from "./support/upkeep";

// Issue 25: D1 runs one query at a time per database, so the relay's upkeep (the sweeper, retention,
// recovering an endpoint, the consumer's batch load) does its work in queries that each read at most
// ~250 rows, however much work there is, and still does all of it.

const NOW = Date.UTC(2026, 11, 7, 12);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The most D1 rows one query may read (issue 25). */
const ROWS_PER_QUERY = 250;

interface Stored {
  tenantId: string;
  endpointId: string;
  deliveryIds: string[];
}

/**
 * A tenant with one endpoint and `count` messages of one delivery each, created a millisecond apart
 * from `from` (epoch ms), written straight to the shard: `delivery` gives each delivery's status and times.
 */
async function stored(count: number, from: number, delivery: (createdAt: number) => { status: string; updatedAt?: number; enqueuedAt?: number; nextAttemptAt?: number }): Promise<Stored> {
  const tenant = await newTenant();
  const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/hook" });
  const db = await shardOf(tenant.id);
  const messageIds = Array.from({ length: count }, (_, i) => newMessageId(tenant.id, from + i, 0));
  const statements = messageIds.flatMap((messageId, i) => {
    const createdAt = from + i;
    const d = delivery(createdAt);
    return [
      db
        .prepare("INSERT INTO messages (key, tenant_id, packed_id, event, packed_targets, payload, packed_created_at) VALUES (CAST(?1 AS INTEGER), ?2, ?3, 'x', json_array(?4), x'00', ?5)")
        .bind(rowKeyText(messageKeyOf(messageId)!), tenant.id, messageId, endpoint.id, createdAt),
      db
        .prepare(
          `INSERT INTO deliveries (tenant_id, endpoint_id, id, status, packed_queue_token, enqueued_at, next_attempt_at, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, 'token', ?5, ?6, ?7, ?8)`,
        )
        .bind(tenant.id, endpoint.id, deliveryIdOf(messageId, 0), d.status, d.enqueuedAt ?? createdAt, d.nextAttemptAt ?? null, createdAt, d.updatedAt ?? createdAt),
    ];
  });
  await db.batch(statements);
  return { tenantId: tenant.id, endpointId: endpoint.id, deliveryIds: messageIds.map((id) => deliveryIdOf(id, 0)) };
}

/** The most rows any one query `run` made read. */
async function mostRowsReadByOneQuery<T>(tenantId: string, run: (db: D1Database) => Promise<T>): Promise<{ result: T; most: number; queries: number }> {
  const { db, statements } = countingD1(await shardOf(tenantId));
  const result = await run(db);
  return { result, most: Math.max(...statements.map((s) => s.rowsRead)), queries: statements.length };
}

describe("the sweeper re-arms stuck deliveries in small queries", () => {
  it("re-arms every fresh delivery of a window longer than one query walks, no query reading more than 250 rows", async () => {
    const s = await stored(600, NOW - 30 * MINUTE, () => ({ status: "pending" }));
    const { result, most } = await mostRowsReadByOneQuery(s.tenantId, (db) => rearmStuck(db, NOW - 5 * MINUTE, NOW - HOUR, NOW, 1000));
    expect(result.filter((d) => d.tenant_id === s.tenantId).map((d) => d.id).sort()).toEqual([...s.deliveryIds].sort());
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });

  it("re-arms every open delivery whose claim lapsed, more than one query's worth, no query reading more than 250 rows", async () => {
    const s = await stored(150, NOW - 2 * DAY, (createdAt) => ({ status: "retrying", updatedAt: createdAt + 1, enqueuedAt: NOW - HOUR, nextAttemptAt: NOW - 30 * MINUTE }));
    const { result, most } = await mostRowsReadByOneQuery(s.tenantId, (db) => rearmStuck(db, NOW - 5 * MINUTE, NOW - HOUR, NOW, 1000));
    expect(result.filter((d) => d.tenant_id === s.tenantId)).toHaveLength(150);
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });

  it("leaves a retry that is not due yet, however long ago it was enqueued", async () => {
    const s = await stored(3, NOW - 2 * DAY, (createdAt) => ({ status: "retrying", updatedAt: createdAt + 1, enqueuedAt: NOW - DAY, nextAttemptAt: NOW + HOUR }));
    const rearmed = await rearmStuck(await shardOf(s.tenantId), NOW - 5 * MINUTE, NOW - HOUR, NOW, 1000);
    expect(rearmed.filter((d) => d.tenant_id === s.tenantId)).toEqual([]);
  });

  it("re-arms no more fresh deliveries than its limit", async () => {
    const s = await stored(300, NOW - 30 * MINUTE, () => ({ status: "pending" }));
    const rearmed = await rearmStuck(await shardOf(s.tenantId), NOW - 5 * MINUTE, NOW - HOUR, NOW, 100);
    expect(rearmed.filter((d) => d.tenant_id === s.tenantId)).toHaveLength(100);
  });
});

describe("retention purges in small queries", () => {
  it("purges every expired message and delivery, more than one query's worth, no query reading more than 250 rows", async () => {
    const s = await stored(130, NOW - 40 * DAY, () => ({ status: "succeeded" }));
    const { result, most } = await mostRowsReadByOneQuery(s.tenantId, (db) => purgeOld(db, NOW - 30 * DAY, 2000));
    expect(result.messages).toBeGreaterThanOrEqual(130);
    expect(result.deliveries).toBeGreaterThanOrEqual(130);
    const db = await shardOf(s.tenantId);
    expect(await db.prepare("SELECT count(*) AS n FROM deliveries WHERE tenant_id = ?").bind(s.tenantId).first("n")).toBe(0);
    expect(await db.prepare("SELECT count(*) AS n FROM messages WHERE tenant_id = ?").bind(s.tenantId).first("n")).toBe(0);
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });

  it("purges every expired row of every tenant and endpoint when the chunks end part-way through their ranges", async () => {
    const tenants = [await stored(50, NOW - 40 * DAY, () => ({ status: "succeeded" })), await stored(50, NOW - 40 * DAY, () => ({ status: "failed" }))];
    for (const { tenantId } of tenants) await purgeOld(await shardOf(tenantId), NOW - 30 * DAY, 2000);
    for (const { tenantId } of tenants) {
      const db = await shardOf(tenantId);
      expect(await db.prepare("SELECT (SELECT count(*) FROM deliveries WHERE tenant_id = ?1) + (SELECT count(*) FROM messages WHERE tenant_id = ?1) AS n").bind(tenantId).first("n")).toBe(0);
    }
  });

  it("purges no more messages than its limit", async () => {
    const s = await stored(130, NOW - 40 * DAY, () => ({ status: "succeeded" }));
    const purged = await purgeOld(await shardOf(s.tenantId), NOW - 30 * DAY, 60);
    expect(purged.messages).toBe(60);
  });
});

describe("a sweep lists each shard's ranges once per walk", () => {
  it("re-arming lists each data shard's (tenant, endpoint) pairs from the first, and each expiry walk lists its ranges once, from its mark", async () => {
    await stored(3, NOW - 40 * DAY, () => ({ status: "pending" }));
    const ranOn: RanStatement[][] = [];
    const counted = withDatabases(env, (db) => {
      const { db: counting, statements } = countingD1(db);
      ranOn.push(statements);
      return counting;
    });
    await sweepHeld(NOW, counted);
    const statements = ranOn.flat();
    // A listing starts from the first range (("", "") for the pairs, "" for the endpoints) or from a walk's mark.
    const pairListings = statements.filter((s) => s.sql.includes("WITH RECURSIVE pairs") && s.params[0] === "" && s.params[1] === "");
    const endpointListings = statements.filter((s) => /^SELECT tenant_id, id FROM endpoints WHERE id > /.test(s.sql) && s.params[0] === "");
    // Per shard: re-arming's, and retention's over the deliveries on its first walk.
    expect(pairListings).toHaveLength(2 * shardCount(env));
    // Per shard: the fold's and the stats purge's, each on its first walk.
    expect(endpointListings).toHaveLength(2 * shardCount(env));
  });
});

describe("recovering an endpoint replays in small queries", () => {
  it("replays every failed delivery since the time, more than one query's worth, reading about as many rows as it replays", async () => {
    const s = await stored(120, NOW - 30 * MINUTE, () => ({ status: "failed", updatedAt: NOW - 20 * MINUTE }));
    const { result, most } = await mostRowsReadByOneQuery(s.tenantId, (db) => replayFailedForEndpoint(db, s.tenantId, s.endpointId, NOW - HOUR, NOW, 1000));
    expect(result.map((d) => d.id)).toEqual(s.deliveryIds);
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });

  it("leaves the endpoint's cancelled and succeeded deliveries", async () => {
    const s = await stored(3, NOW - 30 * MINUTE, () => ({ status: "failed", updatedAt: NOW - 20 * MINUTE }));
    const db = await shardOf(s.tenantId);
    await db.prepare("UPDATE deliveries SET status = 'cancelled' WHERE id = ?").bind(s.deliveryIds[0]).run();
    await db.prepare("UPDATE deliveries SET status = 'succeeded' WHERE id = ?").bind(s.deliveryIds[1]).run();
    expect((await replayFailedForEndpoint(db, s.tenantId, s.endpointId, NOW - HOUR, NOW, 1000)).map((d) => d.id)).toEqual([s.deliveryIds[2]]);
  });

  it("leaves failed deliveries created before the time", async () => {
    const s = await stored(3, NOW - 30 * MINUTE, () => ({ status: "failed", updatedAt: NOW - 20 * MINUTE }));
    expect(await replayFailedForEndpoint(await shardOf(s.tenantId), s.tenantId, s.endpointId, NOW - 10 * MINUTE, NOW, 1000)).toEqual([]);
  });
});

describe("the consumer loads a full batch in small queries", () => {
  it("loads all 100 deliveries of a full batch, no query reading more than 250 rows", async () => {
    const s = await stored(100, NOW - MINUTE, () => ({ status: "pending" }));
    const refs = s.deliveryIds.map((id) => ({ tenant_id: s.tenantId, endpoint_id: s.endpointId, delivery_id: id }));
    const { result, most } = await mostRowsReadByOneQuery(s.tenantId, (db) => loadDeliveryWork(db, refs));
    expect([...result.keys()].sort()).toEqual([...s.deliveryIds].sort());
    expect(most).toBeLessThanOrEqual(ROWS_PER_QUERY);
  });
});
