// The Worker of the bench's scale phase (bench/lib/scale.ts runs it with `wrangler dev` and
// bench/scale.wrangler.toml): one data shard, SHARD_0, that the phase has seeded with a million
// messages. `POST /_scale/<read>` runs one read a tenant, an operator or the relay makes, through
// the real functions of src/db, and answers D1's own rows read and written for it (meta.rows_read,
// meta.rows_written: D1's billing units), summed over every statement the read ran.
import { listDeliveries } from "../src/db/delivery-lists";
import { getDeliveryWithAttempts, replayFailedForEndpoint } from "../src/db/deliveries";
import { readEndpointStats, tenantRollupsSince } from "../src/db/endpoint-stats";
import { windowStartOf } from "../src/lib/endpoint-stats";
import { loadDeliveryWork, type DeliveryRef } from "../src/db/delivery-work";
import { listEndpoints } from "../src/db/endpoints";
import { autoDisableFailingEndpoints, purgeIdempotencyKeys, readSweeperMark, rearmStuckDeliveries } from "../src/db/maintenance";
import { unlimitedQueries } from "../src/db/query-budget";
import { purgeOldDeliveries, purgeOldMessages } from "../src/db/retention";
import { getMessageWithDeliveries, listMessages } from "../src/db/messages";
import { isScaleRead, type ScaleRead } from "./lib/scale-reads.ts";

/** Which keys a read is called with: one seeded tenant's, and the time the seeded history ends at. */
export interface ScalePlan {
  tenantId: string;
  endpoints: { all: string; documents: string; failing: string };
  messageId: string;
  failedDeliveryId: string;
  rareEvent: string;
  rareSource: string;
  /** Epoch ms. */
  now: number;
}

/** What one read cost. */
export interface ReadCost {
  rowsRead: number;
  rowsWritten: number;
  statements: number;
  /** Rows (or items) the read returned or acted on. */
  returned: number;
  /** The most rows one of its D1 queries read. */
  maxRowsReadPerQuery: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** src/ops/deliveries.ts RECOVER_LIMIT, src/delivery/sweeper.ts REARM_LIMIT and PURGE_LIMIT, wrangler.toml RETENTION_DAYS and SWEEP_STUCK_AFTER_SECONDS. */
const RECOVER_LIMIT = 1000;
const REARM_LIMIT = 1000;
const PURGE_LIMIT = 2000;
const RETENTION_DAYS = 30;
const STUCK_AFTER_MS = 300_000;
/** The page sizes the API allows at most (src/limits.ts MAX_PAGE_SIZE) and the dashboard uses. */
const API_PAGE = 100;
const DASHBOARD_LOG_PAGE = 50;
const DASHBOARD_ENDPOINT_PAGE = 20;
const DASHBOARD_ENDPOINTS = 50;

/** The dashboard lists deliveries with their event and endpoint name (src/ops/deliveries.ts deliveryLog). */
const LABELLED = { labelled: true };

/** A statement a read ran, with its parameters: `POST /_scale/explain/<read>` shows its query plan. */
interface Ran {
  sql: string;
  params: unknown[];
  rowsRead?: number;
}

/** `db` with every statement's meta added to `cost`; first() runs as all() so its meta is seen too. */
function metered(db: D1Database, cost: ReadCost, ran: Ran[] = []): D1Database {
  const inner = new WeakMap<object, D1PreparedStatement>();
  const add = (meta: Partial<D1Meta> | undefined, statement?: Ran) => {
    if (statement) statement.rowsRead = meta?.rows_read ?? 0;
    cost.statements += 1;
    cost.rowsRead += meta?.rows_read ?? 0;
    cost.maxRowsReadPerQuery = Math.max(cost.maxRowsReadPerQuery, meta?.rows_read ?? 0);
    cost.rowsWritten += meta?.rows_written ?? 0;
  };
  const wrap = (statement: D1PreparedStatement, sql: string, params: unknown[] = []): D1PreparedStatement => {
    const record = () => ran[ran.push({ sql, params }) - 1]!;
    const proxy = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values), sql, values),
      all: async () => {
        const r = record();
        const result = await statement.all();
        add(result.meta, r);
        return result;
      },
      run: async () => {
        const r = record();
        const result = await statement.run();
        add(result.meta, r);
        return result;
      },
      first: async (column?: string) => {
        const r = record();
        const result = await statement.all<Record<string, unknown>>();
        add(result.meta, r);
        const row = result.results[0];
        return row === undefined ? null : column === undefined ? row : row[column];
      },
      raw: () => {
        throw new Error("raw() is not metered");
      },
    } as unknown as D1PreparedStatement;
    inner.set(proxy, statement);
    sources.set(proxy, { sql, params });
    return proxy;
  };
  const sources = new WeakMap<object, Ran>();
  return {
    prepare: (sql: string) => wrap(db.prepare(sql), sql),
    batch: async (statements: D1PreparedStatement[]) => {
      const batched = statements.map((s) => ({ ...sources.get(s)! }));
      ran.push(...batched);
      const results = await db.batch(statements.map((s) => inner.get(s) ?? s));
      results.forEach((r, i) => add(r.meta, batched[i]));
      return results;
    },
  } as unknown as D1Database;
}

const count = (value: unknown): number =>
  typeof value === "number" ? value : Array.isArray(value) ? value.length : value instanceof Map ? value.size : value && typeof value === "object" && "data" in value ? (value.data as unknown[]).length : value ? 1 : 0;

/** Every read, by its name (bench/lib/scale-reads.ts). */
const READS: Record<ScaleRead, (db: D1Database, p: ScalePlan, raw: D1Database) => Promise<unknown>> = {
  poll_message: (db, p) => getMessageWithDeliveries(db, p.tenantId, p.messageId),
  get_delivery: (db, p) => getDeliveryWithAttempts(db, p.tenantId, p.failedDeliveryId),
  list_messages: (db, p) => listMessages(db, p.tenantId, { limit: API_PAGE }),
  list_messages_by_event: (db, p) => listMessages(db, p.tenantId, { event: "document.predicted", limit: API_PAGE }),
  list_messages_by_rare_event: (db, p) => listMessages(db, p.tenantId, { event: p.rareEvent, limit: API_PAGE }),
  list_messages_by_source: (db, p) => listMessages(db, p.tenantId, { source: p.rareSource, limit: API_PAGE }),
  list_messages_since: (db, p) => listMessages(db, p.tenantId, { since: p.now - HOUR_MS, limit: API_PAGE }),
  list_deliveries: (db, p) => listDeliveries(db, p.tenantId, { limit: API_PAGE }),
  list_deliveries_by_endpoint: (db, p) => listDeliveries(db, p.tenantId, { endpoint_id: p.endpoints.all, limit: API_PAGE }),
  list_deliveries_by_status_failed: (db, p) => listDeliveries(db, p.tenantId, { status: "failed", limit: API_PAGE }),
  list_deliveries_by_status_pending: (db, p) => listDeliveries(db, p.tenantId, { status: "pending", limit: API_PAGE }),
  list_deliveries_by_status_scheduled: (db, p) => listDeliveries(db, p.tenantId, { status: "scheduled", limit: API_PAGE }),
  list_deliveries_by_status_cancelled: (db, p) => listDeliveries(db, p.tenantId, { status: "cancelled", limit: API_PAGE }),
  list_deliveries_by_endpoint_and_status: (db, p) => listDeliveries(db, p.tenantId, { endpoint_id: p.endpoints.all, status: "failed", limit: API_PAGE }),
  list_deliveries_by_message: (db, p) => listDeliveries(db, p.tenantId, { message_id: p.messageId, limit: API_PAGE }),
  list_deliveries_since: (db, p) => listDeliveries(db, p.tenantId, { since: p.now - HOUR_MS, limit: API_PAGE }),
  // As src/ops/endpoint-stats.ts endpointActivity and the endpoint list's page of endpoints, together.
  dashboard_endpoint_list: async (db, p) => {
    const [endpoints] = await Promise.all([
      listEndpoints(db, p.tenantId, { limit: DASHBOARD_ENDPOINTS }),
      tenantRollupsSince(db, p.tenantId, windowStartOf("24h", p.now)),
    ]);
    return endpoints;
  },
  dashboard_endpoint_page: (db, p) =>
    Promise.all([
      readEndpointStats(db, p.tenantId, p.endpoints.failing, windowStartOf("24h", p.now)),
      listDeliveries(db, p.tenantId, { endpoint_id: p.endpoints.failing, limit: DASHBOARD_ENDPOINT_PAGE }, LABELLED),
    ]).then(([, log]) => log),
  dashboard_delivery_log: (db, p) => listDeliveries(db, p.tenantId, { limit: DASHBOARD_LOG_PAGE }, LABELLED),
  dashboard_delivery_log_failed: (db, p) => listDeliveries(db, p.tenantId, { status: "failed", limit: DASHBOARD_LOG_PAGE }, LABELLED),
  consumer_batch_load: async (db, p, raw) => {
    // A full consumer batch: the newest 100 deliveries of the tenant, as their queue messages name them.
    const { results } = await raw
      .prepare("SELECT tenant_id, endpoint_id, id AS delivery_id FROM deliveries WHERE tenant_id = ? AND endpoint_id = ? ORDER BY id DESC LIMIT 100")
      .bind(p.tenantId, p.endpoints.all)
      .all<DeliveryRef>();
    return loadDeliveryWork(db, results);
  },
  // The writes last: they change the shard (the phase measures them once each, after the reads).
  sweeper_pass: async (db, p, raw) => {
    const stuckBefore = p.now - STUCK_AFTER_MS;
    // The steady state: the previous sweep, a minute ago, scanned the fresh deliveries up to its threshold.
    await raw
      .prepare("INSERT INTO sweeper_state (name, value) VALUES ('fresh_deliveries_scanned_to', ?1) ON CONFLICT (name) DO UPDATE SET value = ?1")
      .bind(stuckBefore - 60_000)
      .run();
    const mark = await readSweeperMark(db, "fresh_deliveries_scanned_to");
    // Unbounded by a query budget, so the pass covers the whole shard (the sweeper's budget would stop it part-way).
    const stuck = (await rearmStuckDeliveries(db, stuckBefore, Math.min(mark ?? 0, stuckBefore - HOUR_MS), p.now, REARM_LIMIT, unlimitedQueries())).deliveries;
    await autoDisableFailingEndpoints(db, 432_000_000, p.now, 20);
    await purgeIdempotencyKeys(db, p.now - DAY_MS);
    return stuck;
  },
  // Both walks from the first range, unbounded by a query budget: a whole pass over the shard.
  retention_pass: async (db, p) => {
    await purgeOldDeliveries(db, null, p.now - RETENTION_DAYS * DAY_MS, PURGE_LIMIT, unlimitedQueries());
    return (await purgeOldMessages(db, null, p.now - RETENTION_DAYS * DAY_MS, PURGE_LIMIT, unlimitedQueries())).done;
  },
  recover_since: (db, p) => replayFailedForEndpoint(db, p.tenantId, p.endpoints.failing, p.now - HOUR_MS, p.now, RECOVER_LIMIT),
};

export default {
  async fetch(request, env) {
    const [, action, name] = /^\/_scale\/(?:(explain)\/)?([a-z_]+)$/.exec(new URL(request.url).pathname) ?? [];
    const read = name !== undefined && isScaleRead(name) ? READS[name] : undefined;
    if (!read || request.method !== "POST") return new Response("not found", { status: 404 });
    const plan = (await request.json()) as ScalePlan;
    const cost: ReadCost = { rowsRead: 0, rowsWritten: 0, statements: 0, returned: 0, maxRowsReadPerQuery: 0 };
    const ran: Ran[] = [];
    const result = await read(metered(env.SHARD_0, cost, ran), plan, env.SHARD_0);
    cost.returned = count(result);
    if (action !== "explain") return Response.json(cost);
    const plans = await Promise.all(
      ran.map(async ({ sql, params, rowsRead }) => ({
        rowsRead,
        sql: sql.replace(/\s+/g, " ").slice(0, 300),
        plan: (await env.SHARD_0.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail),
      })),
    );
    return Response.json({ ...cost, plans });
  },
} satisfies ExportedHandler<{ SHARD_0: D1Database }>;
