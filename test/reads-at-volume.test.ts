import { beforeAll, describe, expect, it } from "vitest";
import { recordBatchResults } from "../src/db/batch-records";
import { getDeliveryWithAttempts, replayDelivery, replayFailedForEndpoint } from "../src/db/deliveries";
import { loadDeliveryWork } from "../src/db/delivery-work";
import { listDeliveries } from "../src/db/delivery-lists";
import { foldEndpointStatsIntoHours, purgeOldEndpointStats, readEndpointStats, tenantRollupsSince } from "../src/db/endpoint-stats";
import { listEndpoints } from "../src/db/endpoints";
import { findKeyedRequests } from "../src/db/idempotency-keys";
import { autoDisableFailingEndpoints, purgeIdempotencyKeys, readSweeperMark, rearmStuckDeliveries } from "../src/db/maintenance";
import { queuedPayloads, removeQueuedPayloads } from "../src/db/payload-purges";
import { unlimitedQueries } from "../src/db/query-budget";
import { purgeOldDeliveries, purgeOldMessages } from "../src/db/retention";
import { storeMessages } from "../src/db/message-batch";
import { cancelUnattemptedDeliveries, getMessageWithDeliveries, listMessages } from "../src/db/messages";
import { deadLetters, tenantOfMessage, troubledEndpoints } from "../src/db/operator-view";
import { readWalkMarks, writeWalkMarks } from "../src/db/sweeper-walks";
import { deliveryIdOf, newMessageId } from "../src/lib/ids";
import { newEndpoint, newTenant } from "./support/api";
import { countingD1 } from "./support/counting-d1";
import { shardOf } from "./support/shards";
import { foldStats, purgeOld, purgeStats, rearmStuck } from "./support/upkeep";

// Issue 25: a query plan on a nearly empty table is not the plan a full one gets. Without planner
// statistics (a D1 database made by migrations has none) SQLite chose, for a tenant with 20,000
// deliveries, to seek `deliveries` by tenant alone when polling one message: every delivery of the
// tenant read, 1.8 million at the bench's scale, where test/query-plans.test.ts saw a primary-key
// seek. These run the reads and writes of test/query-plans.test.ts (each listing's first page), the dashboard's, the operator
// view's and the enqueue path's on a tenant with 20,000 messages (the bad plan showed from 3,000;
// 20,000 costs seconds more), each to a plain and a FIFO endpoint, some failed, some cancelled, some
// under an Idempotency-Key, with endpoint stats, and hold every statement to the 250 D1 rows
// read.

const MESSAGES = 20_000;
const MOST_ROWS_READ = 250;
const NOW = Date.now();
const HOUR = 3_600_000;
/** Every how many messages one is stored under an Idempotency-Key, one's deliveries fail and one's are cancelled. */
const EVERY = 10;

let tenantId = "";
let endpointId = "";
let fifoEndpointId = "";
/** The ordinals of each message's deliveries to the plain and the FIFO endpoint: a message's targets are in endpoint id order. */
let plain = 0;
let fifo = 1;
const messageIds: string[] = [];

beforeAll(async () => {
  const tenant = await newTenant();
  tenantId = tenant.id;
  endpointId = (await newEndpoint(tenantId, { url: "https://example.com/hook" })).id as string;
  fifoEndpointId = (await newEndpoint(tenantId, { url: "https://example.com/ordered", ordering: "fifo" })).id as string;
  [plain, fifo] = endpointId < fifoEndpointId ? [0, 1] : [1, 0];
  const db = await shardOf(tenantId);
  for (let batch = 0; batch < MESSAGES / 100; batch++) {
    const at = NOW - (MESSAGES / 100 - batch) * 1_000;
    const messages = Array.from({ length: 100 }, (_, seq) => {
      const id = newMessageId(tenantId, at, seq);
      const keyed = seq % EVERY === 0 ? { idempotency: { key: `key-${batch}-${seq}`, requestHash: "h" } } : {};
      return { id, event: seq === 0 ? "rare.event" : "invoice.extracted", source: seq % 2 ? "ocr" : null, payload: null, payloadInR2: false, dueAt: null, orderingKey: `k${seq % 3}`, ...keyed };
    });
    await storeMessages(db, { tenantId, now: at, expiresBefore: at - 86_400_000, filtersVersion: 0, messages });
    messageIds.push(...messages.map((m) => m.id));
  }
  /** The deliveries (to both endpoints) of every EVERY-th message from the `from`-th. */
  const closed = (from: number) => JSON.stringify(messageIds.filter((_, i) => i % EVERY === from).flatMap((id) => [deliveryIdOf(id, plain), deliveryIdOf(id, fifo)]));
  await db.batch([
    db.prepare("UPDATE deliveries SET status = 'failed', attempts = 1, updated_at = updated_at + 1 WHERE tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2))").bind(tenantId, closed(1)),
    db.prepare("UPDATE deliveries SET status = 'cancelled', updated_at = updated_at + 1 WHERE tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2))").bind(tenantId, closed(2)),
  ]);
  // Endpoint stats as the sweeper leaves them: 7 days of hours folded, the last hour's 5-minute rollups not yet.
  const hour = NOW - (NOW % HOUR);
  await db.batch([
    ...Array.from({ length: 7 * 24 }, (_, i) =>
      db.prepare("INSERT INTO endpoint_stats_hourly (tenant_id, endpoint_id, hour_start, succeeded) VALUES (?, ?, ?, 1)").bind(tenantId, endpointId, hour - (i + 2) * HOUR)),
    ...Array.from({ length: 24 }, (_, i) =>
      db.prepare("INSERT INTO endpoint_stats (tenant_id, endpoint_id, bucket_start, succeeded) VALUES (?, ?, ?, 1)").bind(tenantId, endpointId, hour - HOUR + i * 300_000)),
  ]);
}, 240_000);

/** The D1 rows each statement of `read` read, on the tenant's shard, with the statement's first words. */
async function rowsReadBy(read: (db: D1Database) => Promise<unknown>): Promise<Array<{ sql: string; rowsRead: number }>> {
  const { db, statements } = countingD1(await shardOf(tenantId));
  await read(db);
  expect(statements.length).toBeGreaterThan(0);
  return statements.map((s) => ({ sql: s.sql.replace(/\s+/g, " ").trim().slice(0, 120), rowsRead: s.rowsRead }));
}

describe(`reads and writes of a tenant with ${MESSAGES} messages stay within ${MOST_ROWS_READ} D1 rows a statement`, () => {
  const middle = () => messageIds[MESSAGES / 2]!;
  const failed = () => messageIds[MESSAGES / 2 + 1]!;
  const reads: Record<string, (db: D1Database) => Promise<unknown>> = {
    "polling a message": (db) => getMessageWithDeliveries(db, tenantId, middle()),
    "reading a delivery with its attempts": (db) => getDeliveryWithAttempts(db, tenantId, deliveryIdOf(middle(), plain)),
    "looking up an Idempotency-Key": (db) => findKeyedRequests(db, tenantId, [`key-${MESSAGES / 200}-0`], NOW - HOUR),
    "looking up an Idempotency-Key nobody used": (db) => findKeyedRequests(db, tenantId, ["never-used"], NOW - HOUR),
    "listing one message's deliveries": (db) => listDeliveries(db, tenantId, { message_id: middle(), limit: 100 }),
    "cancelling a message": (db) => cancelUnattemptedDeliveries(db, tenantId, messageIds[0]!, NOW),
    "loading a consumer batch": (db) => loadDeliveryWork(db, messageIds.slice(0, 100).map((id) => ({ tenant_id: tenantId, endpoint_id: endpointId, delivery_id: deliveryIdOf(id, plain) }))),
    "loading a consumer batch of FIFO deliveries": (db) =>
      loadDeliveryWork(db, messageIds.slice(-100).map((id) => ({ tenant_id: tenantId, endpoint_id: fifoEndpointId, delivery_id: deliveryIdOf(id, fifo) }))),
    "recording 50 attempts of a consumer batch, with the wake of a FIFO order's next delivery": (db) =>
      recordBatchResults(db, messageIds.slice(100, 150).map((id) => ({
        deliveryId: deliveryIdOf(id, plain), tenantId, endpointId, queueToken: "t", seenLastAttemptAt: null, outcome: "ok" as const,
        statusCode: 200, errorKind: null, error: null, durationMs: 5, responseBody: "ok", at: NOW, status: "succeeded" as const, nextAttemptAt: null, inOrder: true,
      })), [], []),
    "recording 50 attempts of FIFO deliveries, waking each order's next": (db) =>
      recordBatchResults(db, messageIds.slice(200, 250).map((id) => ({
        deliveryId: deliveryIdOf(id, fifo), tenantId, endpointId: fifoEndpointId, queueToken: "t", seenLastAttemptAt: null, outcome: "ok" as const,
        statusCode: 200, errorKind: null, error: null, durationMs: 5, responseBody: "ok", at: NOW, status: "succeeded" as const, nextAttemptAt: null, inOrder: true,
      })), [], []),
    "enqueueing one more message into the tenant": (db) =>
      storeMessages(db, { tenantId, now: NOW, expiresBefore: NOW - 86_400_000, filtersVersion: 0, messages: [{ id: newMessageId(tenantId, NOW, 1), event: "invoice.extracted", source: null, payload: null, payloadInR2: false, dueAt: null }] }),
    "enqueueing one more message with an Idempotency-Key and an ordering key": (db) =>
      storeMessages(db, {
        tenantId, now: NOW, expiresBefore: NOW - 86_400_000, filtersVersion: 0,
        messages: [{ id: newMessageId(tenantId, NOW, 2), event: "invoice.extracted", source: null, payload: null, payloadInR2: false, dueAt: null, orderingKey: "k1", idempotency: { key: "one-more", requestHash: "h" } }],
      }),
    "replaying a delivery": (db) => replayDelivery(db, tenantId, deliveryIdOf(messageIds[300]!, plain), NOW),
    "replaying a failed FIFO delivery": (db) => replayDelivery(db, tenantId, deliveryIdOf(failed(), fifo), NOW),
    "recovering an endpoint's failed deliveries since a time": (db) => replayFailedForEndpoint(db, tenantId, endpointId, NOW - 60_000, NOW, 1000),
    "listing messages": (db) => listMessages(db, tenantId, { limit: 100 }),
    "listing messages of a rare event type": (db) => listMessages(db, tenantId, { event: "rare.event", limit: 100 }),
    "listing messages from one source since a time": (db) => listMessages(db, tenantId, { source: "ocr", since: NOW - 600_000, limit: 100 }),
    "listing deliveries": (db) => listDeliveries(db, tenantId, { limit: 100 }),
    "listing deliveries since a time": (db) => listDeliveries(db, tenantId, { since: NOW - 600_000, limit: 100 }),
    "listing deliveries with their event and endpoint name, as the dashboard does": (db) => listDeliveries(db, tenantId, { limit: 50 }, { labelled: true }),
    "listing one endpoint's deliveries": (db) => listDeliveries(db, tenantId, { endpoint_id: endpointId, limit: 100 }),
    "listing pending deliveries": (db) => listDeliveries(db, tenantId, { status: "pending", limit: 100 }),
    "listing failed deliveries": (db) => listDeliveries(db, tenantId, { status: "failed", limit: 100 }),
    "listing succeeded deliveries": (db) => listDeliveries(db, tenantId, { status: "succeeded", limit: 100 }),
    "listing cancelled deliveries since a time": (db) => listDeliveries(db, tenantId, { status: "cancelled", since: NOW - 600_000, limit: 100 }),
    "listing one endpoint's failed deliveries": (db) => listDeliveries(db, tenantId, { endpoint_id: endpointId, status: "failed", limit: 100 }),
    "listing one endpoint's scheduled deliveries since a time": (db) => listDeliveries(db, tenantId, { endpoint_id: endpointId, status: "scheduled", since: NOW - HOUR, limit: 100 }),
    "listing endpoints": (db) => listEndpoints(db, tenantId, { limit: 50 }),
    "reading one endpoint's stats for 7 days": (db) => readEndpointStats(db, tenantId, endpointId, NOW - 7 * 24 * HOUR),
    "reading the tenant's endpoint rollups of the last 24 hours for the endpoint list": (db) => tenantRollupsSince(db, tenantId, NOW - 24 * HOUR),
    "listing the shard's troubled endpoints for the operator view": (db) => troubledEndpoints(db, 50),
    "listing the shard's newest dead letters for the operator view": (db) => deadLetters(db, 50),
    "finding a message's tenant for the operator view": (db) => tenantOfMessage(db, middle()),
    "reading the sweeper's marks": async (db) => [await readSweeperMark(db, "fresh_deliveries_scanned_to"), await readWalkMarks(db)],
    "reading the queue of R2 payloads to delete": (db) => queuedPayloads(db, 1000),
    "taking deleted R2 payloads off their queue": (db) => removeQueuedPayloads(db, [{ tenant_id: tenantId, id: middle() }]),
    "writing the sweeper's walk marks": (db) =>
      writeWalkMarks(db, { freshPairs: [tenantId, endpointId], freshBegan: NOW, purgeDeliveries: [tenantId, ""], purgeMessages: 3, foldStats: null, purgeStats: [tenantId, endpointId] }),
    "walking fresh deliveries from the walk's mark": (db) => rearmStuckDeliveries(db, NOW - 300_000, NOW - HOUR, NOW, 1000, unlimitedQueries(), [tenantId, ""]),
    "purging expired deliveries from the walk's mark": (db) => purgeOldDeliveries(db, [tenantId, ""], NOW - 30 * 24 * HOUR, 2000, unlimitedQueries()),
    "purging expired messages from the walk's mark": (db) => purgeOldMessages(db, 0, NOW - 30 * 24 * HOUR, 2000, unlimitedQueries()),
    "folding endpoint stats from the walk's mark": (db) => foldEndpointStatsIntoHours(db, [tenantId, ""], NOW - HOUR, 2000, unlimitedQueries()),
    "purging endpoint stats from the walk's mark": (db) => purgeOldEndpointStats(db, [tenantId, ""], NOW - 8 * 24 * HOUR, 2000, unlimitedQueries()),
    "re-arming stuck deliveries": (db) => rearmStuck(db, NOW - 300_000, NOW - HOUR, NOW, 1000),
    "disabling failing endpoints": (db) => autoDisableFailingEndpoints(db, 432_000_000, NOW, 20),
    "purging expired messages and deliveries": (db) => purgeOld(db, NOW - 30 * 24 * HOUR, 2000),
    "purging expired Idempotency-Keys": (db) => purgeIdempotencyKeys(db, NOW - 24 * HOUR),
    "folding old endpoint stats into hours": (db) => foldStats(db, NOW - HOUR, 2000),
    "purging old endpoint stats": (db) => purgeStats(db, NOW - 8 * 24 * HOUR, 2000),
  };
  for (const [name, read] of Object.entries(reads)) {
    it(`${name} reads at most ${MOST_ROWS_READ} rows a statement`, async () => {
      const over = (await rowsReadBy(read)).filter((s) => s.rowsRead > MOST_ROWS_READ);
      expect(over).toEqual([]);
    });
  }
});
