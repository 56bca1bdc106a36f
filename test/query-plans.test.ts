import { describe, expect, it } from "vitest";
import { listDeliveries } from "../src/db/delivery-lists";
import { getDeliveryWithAttempts, replayDelivery, replayFailedForEndpoint } from "../src/db/deliveries";
import { loadDeliveryWork } from "../src/db/delivery-work";
import { listEndpoints } from "../src/db/endpoints";
import { readEndpointStats, tenantRollupsSince } from "../src/db/endpoint-stats";
import { autoDisableFailingEndpoints, purgeIdempotencyKeys, readSweeperMark } from "../src/db/maintenance";
import { findKeyedRequests } from "../src/db/idempotency-keys";
import { storeMessages } from "../src/db/message-batch";
import { cancelUnattemptedDeliveries, getMessageWithDeliveries, listMessages } from "../src/db/messages";
import { deliveryIdOf, newMessageId } from "../src/lib/ids";
import { newEndpoint, newTenant } from "./support/api";
import { countingD1, type RanStatement } from "./support/counting-d1";
import { recordBatchResults } from "../src/db/batch-records";
import { queuedPayloads, removeQueuedPayloads } from "../src/db/payload-purges";
import { shardOf } from "./support/shards";
import { foldStats, purgeOld, purgeStats, rearmStuck } from "./support/upkeep";
import { foldEndpointStatsIntoHours, purgeOldEndpointStats } from "../src/db/endpoint-stats";
import { rearmStuckDeliveries } from "../src/db/maintenance";
import { unlimitedQueries } from "../src/db/query-budget";
import { purgeOldDeliveries, purgeOldMessages } from "../src/db/retention";
import { readWalkMarks, writeWalkMarks } from "../src/db/sweeper-walks";

// Issue 25: every read of a data shard stays bounded as its tables grow to millions of rows. A
// query plan is the part of that a test can hold without a million rows: these run every read the
// API, the dashboard, the consumer and the sweeper make through the real functions of src/db and
// fail on a plan that reads a growing table whole (a SCAN of messages or deliveries not through a
// partial index) or sorts one for its ORDER BY (a temp B-tree for the whole ORDER BY; one for the
// LAST TERM only sorts the few deliveries of each message, and one after a seek of one message by
// its key sorts that message's deliveries). `npm run bench -- --phase scale`
// measures the rows those plans read at a million messages.

const NOW = Date.UTC(2026, 11, 7, 12);
const HOUR = 3_600_000;

/** The tables that grow with traffic. */
const GROWING = ["messages", "deliveries", "idempotency_keys", "endpoint_stats"];
/** Partial indexes hold only the rows they name (open or closed deliveries, never the enqueue path's), so a scan of one is bounded by them. */
const PARTIAL_INDEXES = ["deliveries_open", "deliveries_closed_by_tenant", "deliveries_closed_by_endpoint", "deliveries_failed"];

/** The names a statement gives the growing tables: the tables themselves and their aliases. */
function growingNames(sql: string): Set<string> {
  const names = new Set(GROWING);
  for (const [, table, alias] of sql.matchAll(/\b(messages|deliveries|idempotency_keys|endpoint_stats)\s+AS\s+(\w+)/gi)) if (GROWING.includes(table!.toLowerCase())) names.add(alias!);
  return names;
}

/** The plan lines of a statement that read a growing table whole or sort it. */
async function unboundedSteps(db: D1Database, { sql, params }: RanStatement): Promise<string[]> {
  const { results } = await db.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
  const names = growingNames(sql);
  const details = results.map((r) => r.detail);
  // A sort of what one row leads to (a message found by its key: its few deliveries) stays bounded.
  const firstTable = details.find((d) => /^(SCAN|SEARCH) /.test(d)) ?? "";
  const fromOneRow = /^SEARCH \w+ USING INTEGER PRIMARY KEY \(rowid=\?\)$/.test(firstTable);
  return details.filter((detail) => {
      if (detail.startsWith("USE TEMP B-TREE FOR ORDER BY")) return !fromOneRow;
      const scan = /^SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?/.exec(detail);
      return scan !== null && names.has(scan[1]!) && !PARTIAL_INDEXES.includes(scan[2] ?? "");
    });
}

/** Runs `read` against the tenant's shard and answers every unbounded step of every statement it ran. */
async function unboundedStepsOf(tenantId: string, read: (db: D1Database) => Promise<unknown>): Promise<Array<{ sql: string; steps: string[] }>> {
  const shard = await shardOf(tenantId);
  const { db, statements } = countingD1(shard);
  await read(db);
  expect(statements.length).toBeGreaterThan(0);
  const found = await Promise.all(statements.map(async (s) => ({ sql: s.sql.replace(/\s+/g, " ").trim(), steps: await unboundedSteps(shard, s) })));
  return found.filter((f) => f.steps.length > 0);
}

/** A list cursor positioned at `id` (src/db/pagination.ts: base64url of `created_at:id`). */
const cursorAt = (id: string) => btoa(`${NOW}:${id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** A tenant with one endpoint, and the ids of a message and its first delivery (none stored: plans do not need rows). */
async function setUp() {
  const tenant = await newTenant();
  const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/hook" });
  const messageId = newMessageId(tenant.id, NOW - HOUR);
  return { tenantId: tenant.id, endpointId: endpoint.id as string, messageId, deliveryId: deliveryIdOf(messageId, 0) };
}

/** Stores the setUp's delivery as the enqueue path left it an hour ago (fresh, pending), so the sweeper's walk finds it stuck. */
async function storeFreshDelivery(db: D1Database, k: Awaited<ReturnType<typeof setUp>>): Promise<void> {
  await db
    .prepare("INSERT INTO deliveries (tenant_id, endpoint_id, id, status, packed_queue_token, enqueued_at, created_at, updated_at) VALUES (?1, ?2, ?3, 'pending', 't', ?4, ?4, ?4)")
    .bind(k.tenantId, k.endpointId, k.deliveryId, NOW - HOUR)
    .run();
}

describe("query plans of every read (issue 25)", () => {
  const reads: Record<string, (db: D1Database, k: Awaited<ReturnType<typeof setUp>>) => Promise<unknown>> = {
    "polling a message": (db, k) => getMessageWithDeliveries(db, k.tenantId, k.messageId),
    "reading a delivery with its attempts": (db, k) => getDeliveryWithAttempts(db, k.tenantId, k.deliveryId),
    "looking up an Idempotency-Key": (db, k) => findKeyedRequests(db, k.tenantId, ["key"], NOW - HOUR),
    "listing messages": (db, k) => listMessages(db, k.tenantId, { limit: 100 }),
    "listing messages of one event type": (db, k) => listMessages(db, k.tenantId, { event: "invoice.extracted", limit: 100 }),
    "listing messages from one source since a time, after a cursor": (db, k) =>
      listMessages(db, k.tenantId, { source: "ocr", since: NOW - HOUR, cursor: cursorAt(k.messageId), limit: 100 }),
    "listing pending deliveries after a cursor": (db, k) => listDeliveries(db, k.tenantId, { status: "pending", cursor: cursorAt(k.deliveryId), limit: 100 }),
    "listing one endpoint's scheduled deliveries since a time": (db, k) => listDeliveries(db, k.tenantId, { endpoint_id: k.endpointId, status: "scheduled", since: NOW - HOUR, limit: 100 }),
    "listing deliveries with their event and endpoint name, as the dashboard does": (db, k) => listDeliveries(db, k.tenantId, { limit: 50 }, { labelled: true }),
    "listing deliveries": (db, k) => listDeliveries(db, k.tenantId, { limit: 100 }),
    "listing deliveries since a time": (db, k) => listDeliveries(db, k.tenantId, { since: NOW - HOUR, limit: 100 }),
    "listing one endpoint's deliveries": (db, k) => listDeliveries(db, k.tenantId, { endpoint_id: k.endpointId, limit: 100 }),
    "listing one message's deliveries": (db, k) => listDeliveries(db, k.tenantId, { message_id: k.messageId, limit: 100 }),
    "listing failed deliveries": (db, k) => listDeliveries(db, k.tenantId, { status: "failed", limit: 100 }),
    "listing cancelled deliveries since a time": (db, k) => listDeliveries(db, k.tenantId, { status: "cancelled", since: NOW - HOUR, limit: 100 }),
    "listing one endpoint's failed deliveries": (db, k) => listDeliveries(db, k.tenantId, { endpoint_id: k.endpointId, status: "failed", limit: 100 }),
    "listing succeeded deliveries": (db, k) => listDeliveries(db, k.tenantId, { status: "succeeded", limit: 100 }),
    "listing endpoints": (db, k) => listEndpoints(db, k.tenantId, { limit: 50 }),
    "reading one endpoint's stats for 7 days": (db, k) => readEndpointStats(db, k.tenantId, k.endpointId, NOW - 7 * 24 * HOUR),
    "reading the tenant's endpoint rollups of the last 24 hours for the endpoint list": (db, k) => tenantRollupsSince(db, k.tenantId, NOW - 24 * HOUR),
    "purging old endpoint stats": (db) => purgeStats(db, NOW - 8 * 24 * HOUR, 2000),
    "folding old endpoint stats into hours": async (db, k) => {
      await db.prepare("INSERT INTO endpoint_stats (tenant_id, endpoint_id, bucket_start, succeeded) VALUES (?, ?, ?, 1)").bind(k.tenantId, k.endpointId, NOW - 3 * HOUR).run();
      return foldStats(db, NOW - HOUR, 2000);
    },
    "loading a consumer batch": (db, k) => loadDeliveryWork(db, [{ tenant_id: k.tenantId, endpoint_id: k.endpointId, delivery_id: k.deliveryId }]),
    "recording a consumer batch's attempts, with the wake of a FIFO order's next delivery": (db, k) =>
      recordBatchResults(db, [{
        deliveryId: k.deliveryId, tenantId: k.tenantId, endpointId: k.endpointId, queueToken: "t", seenLastAttemptAt: null, outcome: "ok",
        statusCode: 200, errorKind: null, error: null, durationMs: 5, responseBody: "ok", at: NOW, status: "succeeded", nextAttemptAt: null, inOrder: true,
      }], [], []),
    "re-arming stuck deliveries": (db) => rearmStuck(db, NOW - 300_000, NOW - HOUR, NOW, 1000),
    "walking fresh deliveries page by page and re-arming the stuck ones by key": async (db, k) => {
      await storeFreshDelivery(db, k);
      return rearmStuck(db, NOW - 300_000, NOW - 2 * HOUR, NOW, 1000);
    },
    "cancelling a message's unattempted deliveries": (db, k) => cancelUnattemptedDeliveries(db, k.tenantId, k.messageId, NOW),
    "reading the sweeper's mark": (db) => readSweeperMark(db, "fresh_deliveries_scanned_to"),
    "reading the queue of R2 payloads to delete": (db) => queuedPayloads(db, 1000),
    "taking deleted R2 payloads off their queue": (db, k) => removeQueuedPayloads(db, [{ tenant_id: k.tenantId, id: k.messageId }]),
    "reading the sweeper's walk marks": (db) => readWalkMarks(db),
    "writing the sweeper's walk marks": (db, k) =>
      writeWalkMarks(db, { freshPairs: [k.tenantId, k.endpointId], freshBegan: NOW, purgeDeliveries: [k.tenantId, ""], purgeMessages: 3, foldStats: null, purgeStats: [k.tenantId, k.endpointId] }),
    "walking fresh deliveries from the walk's mark": (db, k) => rearmStuckDeliveries(db, NOW - 300_000, NOW - HOUR, NOW, 1000, unlimitedQueries(), [k.tenantId, ""]),
    "purging expired deliveries from the walk's mark": (db, k) => purgeOldDeliveries(db, [k.tenantId, ""], NOW - 30 * 24 * HOUR, 2000, unlimitedQueries()),
    "purging expired messages from the walk's mark": (db) => purgeOldMessages(db, 0, NOW - 30 * 24 * HOUR, 2000, unlimitedQueries()),
    "folding endpoint stats from the walk's mark": (db, k) => foldEndpointStatsIntoHours(db, [k.tenantId, ""], NOW - HOUR, 2000, unlimitedQueries()),
    "purging endpoint stats from the walk's mark": (db, k) => purgeOldEndpointStats(db, [k.tenantId, ""], NOW - 8 * 24 * HOUR, 2000, unlimitedQueries()),
    "disabling failing endpoints": (db) => autoDisableFailingEndpoints(db, 432_000_000, NOW, 20),
    "purging expired messages and deliveries": (db) => purgeOld(db, NOW - 30 * 24 * HOUR, 2000),
    "purging expired Idempotency-Keys": (db) => purgeIdempotencyKeys(db, NOW - 24 * HOUR),
    "replaying a delivery": (db, k) => replayDelivery(db, k.tenantId, k.deliveryId, NOW),
    "recovering an endpoint's failed deliveries since a time": (db, k) => replayFailedForEndpoint(db, k.tenantId, k.endpointId, NOW - HOUR, NOW, 1000),
  };

  for (const [name, read] of Object.entries(reads)) {
    it(`${name} neither scans nor sorts a growing table`, async () => {
      const keys = await setUp();
      expect(await unboundedStepsOf(keys.tenantId, (db) => read(db, keys))).toEqual([]);
    });
  }
});

/** Every plan line of the statements a listing ran. */
async function planOf(tenantId: string, query: Parameters<typeof listDeliveries>[2]): Promise<string[]> {
  const shard = await shardOf(tenantId);
  const { db, statements } = countingD1(shard);
  await listDeliveries(db, tenantId, query);
  const plans = await Promise.all(
    statements.map(async ({ sql, params }) => (await shard.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>()).results),
  );
  return plans.flat().map((r) => r.detail);
}

describe("closed deliveries are listed through their partial indexes", () => {
  it("a tenant's failed deliveries come from deliveries_closed_by_tenant, already newest first", async () => {
    const { tenantId } = await setUp();
    const plan = await planOf(tenantId, { status: "failed", limit: 100 });
    expect(plan.some((d) => d.includes("USING INDEX deliveries_closed_by_tenant"))).toBe(true);
    expect(plan.some((d) => d.startsWith("USE TEMP B-TREE"))).toBe(false);
  });

  it("one endpoint's cancelled deliveries come from deliveries_closed_by_endpoint", async () => {
    const { tenantId, endpointId } = await setUp();
    const plan = await planOf(tenantId, { endpoint_id: endpointId, status: "cancelled", limit: 100 });
    expect(plan.some((d) => d.includes("USING INDEX deliveries_closed_by_endpoint"))).toBe(true);
  });
});

describe("the tenant-wide walk seeks each message's first target straight from the message", () => {
  // D1 counts every step of json_each: the first target found from the message itself costs only its seek.
  for (const [name, query] of [
    ["listing deliveries", { limit: 100 }],
    ["listing pending deliveries", { status: "pending", limit: 100 }],
    ["listing deliveries since a time", { since: NOW - HOUR, limit: 100 }],
  ] as const) {
    it(`${name} seeks a delivery by primary key either from the message or from json_each of its other targets`, async () => {
      const { tenantId } = await setUp();
      const plan = await planOf(tenantId, query);
      expect(plan).toContain("MULTI-INDEX OR");
      expect(plan.filter((d) => d === "SEARCH d USING PRIMARY KEY (tenant_id=? AND endpoint_id=? AND id=?)")).toHaveLength(2);
      expect(plan.some((d) => d.startsWith("USE TEMP B-TREE"))).toBe(false);
    });
  }
});

describe("the sweeper finds lapsed claims by a range of deliveries_open", () => {
  it("re-arming open deliveries seeks deliveries_open by when the claim began instead of walking it whole", async () => {
    const k = await setUp();
    const shard = await shardOf(k.tenantId);
    const { db, statements } = countingD1(shard);
    await rearmStuck(db, NOW - 300_000, NOW - HOUR, NOW, 1000);
    const open = statements.find((s) => s.sql.includes("updated_at > created_at"))!;
    const plan = (await shard.prepare(`EXPLAIN QUERY PLAN ${open.sql}`).bind(...open.params).all<{ detail: string }>()).results.map((r) => r.detail);
    expect(plan).toContain("SEARCH deliveries USING INDEX deliveries_open (<expr><?)");
  });

  it("the walk over fresh deliveries seeks each page from where the last one ended", async () => {
    const k = await setUp();
    const shard = await shardOf(k.tenantId);
    await storeFreshDelivery(shard, k);
    const { db, statements } = countingD1(shard);
    await rearmStuck(db, NOW - 300_000, NOW - 2 * HOUR, NOW, 1000);
    const page = statements.find((s) => s.sql.includes("AS stuck"))!;
    const plan = (await shard.prepare(`EXPLAIN QUERY PLAN ${page.sql}`).bind(...page.params).all<{ detail: string }>()).results.map((r) => r.detail);
    expect(plan).toEqual(["SCAN p VIRTUAL TABLE INDEX 1:", "SEARCH d USING PRIMARY KEY (tenant_id=? AND endpoint_id=? AND id>? AND id<?)"]);
  });
});

describe("FIFO orders are read through deliveries_in_order (issue 26)", () => {
  /** Every plan line of the statements `run` made on the tenant's shard. */
  async function plansOf(tenantId: string, run: (db: D1Database) => Promise<unknown>): Promise<string[]> {
    const shard = await shardOf(tenantId);
    const { db, statements } = countingD1(shard);
    await run(db);
    const plans = await Promise.all(statements.map(async ({ sql, params }) => (await shard.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>()).results));
    return plans.flat().map((r) => r.detail);
  }

  it("loading a consumer batch finds the head of each FIFO delivery's order by a seek of deliveries_in_order", async () => {
    const k = await setUp();
    const plan = await plansOf(k.tenantId, (db) => loadDeliveryWork(db, [{ tenant_id: k.tenantId, endpoint_id: k.endpointId, delivery_id: k.deliveryId }]));
    expect(plan.filter((d) => d.startsWith("SEARCH h ")).every((d) => d.includes("USING COVERING INDEX deliveries_in_order") || d.includes("USING INDEX deliveries_in_order"))).toBe(true);
    expect(plan.some((d) => d.includes("deliveries_in_order"))).toBe(true);
  });

  it("loading a consumer batch seeks each FIFO delivery's head once, then reads the head's row by its primary key", async () => {
    const k = await setUp();
    const plan = await plansOf(k.tenantId, (db) => loadDeliveryWork(db, [{ tenant_id: k.tenantId, endpoint_id: k.endpointId, delivery_id: k.deliveryId }]));
    expect(plan.filter((d) => d.startsWith("SEARCH h ") && d.includes("deliveries_in_order"))).toHaveLength(1);
    expect(plan).toContain("SEARCH head USING PRIMARY KEY (tenant_id=? AND endpoint_id=? AND id=?) LEFT-JOIN");
  });

  it("enqueue takes the next place of an order by a seek of deliveries_in_order", async () => {
    const { tenantId } = await setUp();
    const plan = await plansOf(tenantId, (db) =>
      storeMessages(db, { tenantId, now: NOW, expiresBefore: NOW - HOUR, filtersVersion: 0, messages: [{ id: newMessageId(tenantId, NOW), event: "x", source: null, payload: null, payloadInR2: false, dueAt: null, orderingKey: "k" }] }),
    );
    expect(plan.some((d) => d.startsWith("SEARCH o USING") && d.includes("deliveries_in_order"))).toBe(true);
    expect(plan.some((d) => d.startsWith("SCAN o"))).toBe(false);
  });
});

describe("the query-plan check itself", () => {
  it("flags a full scan of deliveries, also under an alias", async () => {
    const { tenantId } = await setUp();
    const found = await unboundedStepsOf(tenantId, (db) => db.prepare("SELECT * FROM deliveries AS d WHERE d.last_error = ?").bind("x").all());
    expect(found.map((f) => f.steps)).toEqual([["SCAN d"]]);
  });

  it("flags a sort of messages for an ORDER BY", async () => {
    const { tenantId } = await setUp();
    const found = await unboundedStepsOf(tenantId, (db) => db.prepare("SELECT id FROM messages WHERE tenant_id = ? ORDER BY event").bind(tenantId).all());
    expect(found.flatMap((f) => f.steps)).toContain("USE TEMP B-TREE FOR ORDER BY");
  });

  it("lets a seek by primary key pass", async () => {
    const { tenantId, endpointId } = await setUp();
    const found = await unboundedStepsOf(tenantId, (db) =>
      db.prepare("SELECT * FROM deliveries WHERE tenant_id = ? AND endpoint_id = ? ORDER BY id DESC LIMIT 10").bind(tenantId, endpointId).all(),
    );
    expect(found).toEqual([]);
  });
});
