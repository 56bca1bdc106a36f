import { describe, expect, it } from "vitest";
import { listDeliveries } from "../src/db/delivery-lists";
import { listMessages } from "../src/db/messages";
import { deliveryIdOf, messageKeyOf, newMessageId, rowKeyText } from "../src/lib/ids";
import { SCAN_SLACK } from "../src/limits";
import { newEndpoint, newTenant } from "./support/api";
import { countingD1 } from "./support/counting-d1";
import { shardOf } from "./support/shards";

// Issue 25: a list filtered by something no index holds (a transient delivery status, an event
// type, a source) examines a bounded stretch of the tenant's newest-first range per call and
// answers the matches it found with a cursor past what it examined; a caller that follows the
// cursors sees every match, and no call reads more rows however many the tenant has.

const NOW = Date.UTC(2026, 11, 7, 12);
/** D1 rows a listing may read beyond the rows it examines (the statement's own overhead). */
const OVERHEAD = 5;

interface Row {
  event: string;
  source?: string;
  status?: string;
  /** How many of the tenant's endpoints the message goes to, in order (1 unless told). */
  targets?: number;
}

/** Writes one message per row straight into the tenant's shard, oldest first, one second apart, each with a delivery to each of its first `targets` endpoints; answers their ids, oldest first. */
async function seed(tenantId: string, endpointIds: string[], rows: Row[]): Promise<string[]> {
  const db = await shardOf(tenantId);
  const ids = rows.map((_, i) => newMessageId(tenantId, NOW - (rows.length - i) * 1000, 0));
  const statements = rows.flatMap((row, i) => {
    const id = ids[i]!;
    const at = NOW - (rows.length - i) * 1000;
    const targets = endpointIds.slice(0, row.targets ?? 1);
    return [
      db
        .prepare("INSERT INTO messages (key, tenant_id, packed_id, event, source, packed_targets, payload, packed_created_at) VALUES (CAST(? AS INTEGER), ?, ?, ?, ?, ?, NULL, ?)")
        .bind(rowKeyText(messageKeyOf(id)!), tenantId, id, row.event, row.source ?? null, JSON.stringify(targets), at),
      ...targets.map((endpointId, ordinal) =>
        db
          .prepare("INSERT INTO deliveries (tenant_id, endpoint_id, id, status, packed_queue_token, created_at, updated_at) VALUES (?, ?, ?, ?, 'token', ?, ?)")
          .bind(tenantId, endpointId, deliveryIdOf(id, ordinal), row.status ?? "succeeded", at, at),
      ),
    ];
  });
  await db.batch(statements);
  return ids;
}

/** A tenant with one endpoint and `count` messages, the ones at the given positions (0 = oldest) being `special`. */
async function tenantWith(count: number, special: Row, at: number[]) {
  const tenant = await newTenant();
  const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/hook" });
  const rows = Array.from({ length: count }, (_, i) => (at.includes(i) ? special : { event: "document.predicted", source: "ocr" }));
  const ids = await seed(tenant.id, [endpoint.id as string], rows);
  return { tenantId: tenant.id, endpointId: endpoint.id as string, ids, matches: at.map((i) => ids[i]!).reverse() };
}

/** Follows a list's cursors to the end; answers every page's ids and the most D1 rows one call read. */
async function everyPage(
  tenantId: string,
  list: (db: D1Database, cursor: string | undefined) => Promise<{ data: Array<{ id: string }>; next_cursor: string | null }>,
) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  let mostRowsRead = 0;
  do {
    const { db, counts } = countingD1(await shardOf(tenantId));
    const page = await list(db, cursor);
    pages.push(page.data.map((d) => d.id));
    mostRowsRead = Math.max(mostRowsRead, counts.rowsRead);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && pages.length < 50);
  return { pages, ids: pages.flat(), mostRowsRead };
}

describe("lists filtered by what no index holds are bounded scans (issue 25)", () => {
  it("messages of a rare event are found by following cursors through short pages", async () => {
    const t = await tenantWith(150, { event: "account.audited" }, [5, 140]);
    const limit = 10;
    const { pages, ids, mostRowsRead } = await everyPage(t.tenantId, (db, cursor) => listMessages(db, t.tenantId, { event: "account.audited", limit, cursor }));
    expect(ids).toEqual(t.matches);
    expect(pages.length).toBeGreaterThan(1);
    expect(mostRowsRead).toBeLessThanOrEqual(limit + SCAN_SLACK + OVERHEAD);
  });

  it("a page with no match yet still carries a cursor while the range goes on", async () => {
    const t = await tenantWith(150, { event: "account.audited" }, [5]);
    const page = await listMessages(await shardOf(t.tenantId), t.tenantId, { event: "account.audited", limit: 10 });
    expect(page.data).toEqual([]);
    expect(page.next_cursor).not.toBeNull();
  });

  it("messages from one source are listed the same way", async () => {
    const t = await tenantWith(150, { event: "document.predicted", source: "receipts" }, [1, 2, 120]);
    const { ids } = await everyPage(t.tenantId, (db, cursor) => listMessages(db, t.tenantId, { source: "receipts", limit: 2, cursor }));
    expect(ids).toEqual(t.matches);
  });

  it("a filter that matches within the budget ends with a null cursor", async () => {
    const t = await tenantWith(20, { event: "account.audited" }, [3, 7]);
    const { pages } = await everyPage(t.tenantId, (db, cursor) => listMessages(db, t.tenantId, { event: "account.audited", limit: 10, cursor }));
    expect(pages).toEqual([t.matches]);
  });

  it("messages since a time are those created at or after it, in full pages", async () => {
    const t = await tenantWith(30, { event: "x" }, []);
    const page = await listMessages(await shardOf(t.tenantId), t.tenantId, { since: NOW - 10_000, limit: 100 });
    expect(page.data.map((m) => m.id)).toEqual(t.ids.slice(-10).reverse());
    expect(page.next_cursor).toBeNull();
  });

  it("a tenant's pending deliveries are found by following cursors, each call reading about one page", async () => {
    const t = await tenantWith(150, { event: "x", status: "pending" }, [0, 75, 149]);
    const limit = 10;
    const { ids, mostRowsRead } = await everyPage(t.tenantId, (db, cursor) => listDeliveries(db, t.tenantId, { status: "pending", limit, cursor }));
    expect(ids).toEqual(t.matches.map((id) => deliveryIdOf(id, 0)));
    // Each examined delivery costs its message's row and a seek by primary key.
    expect(mostRowsRead).toBeLessThanOrEqual(2 * (limit + 1) + OVERHEAD);
  });

  it("one endpoint's retrying deliveries are found the same way, through its own range", async () => {
    const t = await tenantWith(150, { event: "x", status: "retrying" }, [10, 20]);
    const limit = 5;
    const { ids, mostRowsRead } = await everyPage(t.tenantId, (db, cursor) =>
      listDeliveries(db, t.tenantId, { endpoint_id: t.endpointId, status: "retrying", limit, cursor }),
    );
    expect(ids).toEqual(t.matches.map((id) => deliveryIdOf(id, 0)));
    expect(mostRowsRead).toBeLessThanOrEqual(limit + SCAN_SLACK + OVERHEAD);
  });

  it("deliveries since a time stop at it instead of walking the tenant's older history", async () => {
    const t = await tenantWith(150, { event: "x" }, []);
    const { db, counts } = countingD1(await shardOf(t.tenantId));
    const page = await listDeliveries(db, t.tenantId, { since: NOW - 3_000, limit: 100 });
    expect(page.data.map((d) => d.id)).toEqual(t.ids.slice(-3).reverse().map((id) => deliveryIdOf(id, 0)));
    expect(counts.rowsRead).toBeLessThanOrEqual(3 * 3 + OVERHEAD);
  });

  it("the tenant's deliveries to several endpoints per message come a full page at a time, about two rows read each", async () => {
    const tenant = await newTenant();
    const endpointIds: string[] = [];
    for (const name of ["a", "b", "c"]) endpointIds.push((await newEndpoint(tenant.id, { url: `https://${name}.example.com/hook` })).id as string);
    const ids = await seed(tenant.id, endpointIds, Array.from({ length: 90 }, (_, i) => ({ event: "x", targets: [1, 2, 3, 2][i % 4] })));
    const newestFirst = ids.reverse().flatMap((id, i) => Array.from({ length: [1, 2, 3, 2][(89 - i) % 4]! }, (_, ordinal) => deliveryIdOf(id, ordinal)));
    const limit = 40;
    const { pages, mostRowsRead } = await everyPage(tenant.id, (db, cursor) => listDeliveries(db, tenant.id, { limit, cursor }));
    expect(pages.flat()).toEqual(newestFirst);
    expect(pages.slice(0, -1).every((page) => page.length === limit)).toBe(true);
    // Each message is one row read and each of its deliveries one seek by primary key: two a delivery
    // at two targets a message, plus the deliveries of the message a cursor cut, sought again and passed over.
    const cutMessage = 3;
    expect(mostRowsRead).toBeLessThanOrEqual(2 * (limit + 1) + cutMessage + OVERHEAD);
  });
});
