import type { z } from "zod";
import { idFloor, messageKeyOf, ordinalOf, SQL_BUCKET_END, SQL_BUCKET_START, SQL_KEY_FLOOR, SQL_MESSAGE_KEY, sqlMessageKeyOf, tenantBucket } from "../lib/ids";
import { decompressText } from "../lib/compression";
import type { AttemptOutcome, DeliveryStatus, DeliverySummarySchema } from "../schemas/messages";
import { decodeCursor, iso, paginate, scanBudget, scannedPage } from "./pagination";
import { SQL_QUEUE_TOKEN } from "./sql";

/** A delivery that was (re)scheduled and now needs a queue message. */
export interface ScheduledDelivery {
  id: string;
  tenant_id: string;
  /** "" for a one-off webhook_url delivery. */
  endpoint_id: string;
  queue_token: string;
}

/** A delivery's state as polling shows it: the columns of SUMMARY_COLUMNS. */
export interface DeliverySummaryRow {
  id: string;
  message_id: string;
  endpoint_id: string;
  url: string | null;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** The columns of a DeliverySummaryRow, from `deliveries AS d` joined to its `messages AS m`. */
export const SUMMARY_COLUMNS = `d.id, m.id AS message_id, d.endpoint_id, CASE WHEN d.endpoint_id = '' THEN m.webhook_url END AS url,
  d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at`;

/** SQL joining a delivery `d` to its message `m` by the message's row key. */
const MESSAGE_OF_DELIVERY = `messages AS m ON m.key = ${sqlMessageKeyOf("d.id")} AND m.tenant_id = d.tenant_id`;

const DELIVERY_OF_TARGET = "d.tenant_id = m.tenant_id AND d.endpoint_id = t.value AND d.id = substr(m.id, 1, 32) || printf('%04x', t.key + 1)";

/** SQL joining `messages AS m` to its deliveries in ordinal order (`json_each AS t`, `deliveries AS d`), by primary key. */
export const MESSAGE_DELIVERIES = `messages AS m JOIN json_each(m.targets) AS t JOIN deliveries AS d ON ${DELIVERY_OF_TARGET}`;

/**
 * MESSAGE_DELIVERIES with its loops in that order: messages outermost, so a walk over a range of
 * messages yields their deliveries in the messages' order without a sort. CROSS JOIN keeps SQLite
 * from starting at the deliveries, which it may prefer without ANALYZE statistics.
 */
const MESSAGES_THEN_DELIVERIES = `messages AS m CROSS JOIN json_each(m.targets) AS t CROSS JOIN deliveries AS d ON ${DELIVERY_OF_TARGET}`;

/** Maps a delivery row to its API summary. */
export function toDeliverySummary(row: DeliverySummaryRow): z.infer<typeof DeliverySummarySchema> {
  return {
    id: row.id,
    message_id: row.message_id,
    endpoint_id: row.endpoint_id || null,
    url: row.url,
    status: row.status as DeliveryStatus,
    attempt_count: row.attempts,
    next_attempt_at: iso(row.next_attempt_at),
    last_attempt_at: iso(row.last_attempt_at),
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/**
 * A delivery in a list: its summary, and when listed `labelled` its message's event and its
 * endpoint's name (the name null when one-off or deleted; both null when not labelled).
 */
export type DeliveryListEntry = ReturnType<typeof toDeliverySummary> & { event: string | null; endpoint_name: string | null };

/** One attempt as `history` keeps it (src/db/delivery-work.ts writes it); `response_z` is the hex of a compressed excerpt. */
interface HistoryEntry {
  attempt: number;
  outcome: string;
  status_code: number | null;
  error_kind: string | null;
  error: string | null;
  duration_ms: number;
  response: string | null;
  response_z?: string | null;
  created_at: number;
}

interface DeliveryDetailRow extends DeliverySummaryRow {
  event: string;
  last_outcome: string | null;
  last_attempt: number | null;
  last_error_kind: string | null;
  last_duration_ms: number | null;
  last_response: string | number[] | null;
  history: string | null;
}

/** A response excerpt as stored: text as is, or Brotli-compressed bytes (a BLOB, or hex inside `history`). */
export async function excerptText(stored: string | number[] | null | undefined, hex?: string | null): Promise<string | null> {
  if (hex) return decompressText(Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)));
  if (stored === null || stored === undefined) return null;
  return typeof stored === "string" ? stored : decompressText(stored);
}

async function attemptsOf(row: DeliveryDetailRow) {
  const entries: HistoryEntry[] = row.history ? JSON.parse(row.history) : [];
  const attempts = await Promise.all(
    entries.map(async (e) => ({ ...e, response: await excerptText(e.response, e.response_z) })),
  );
  if (row.last_outcome !== null) {
    attempts.push({
      attempt: row.last_attempt!,
      outcome: row.last_outcome,
      status_code: row.last_status_code,
      error_kind: row.last_error_kind,
      error: row.last_error,
      duration_ms: row.last_duration_ms ?? 0,
      response: await excerptText(row.last_response),
      created_at: row.last_attempt_at!,
    });
  }
  return attempts
    .sort((a, b) => a.created_at - b.created_at || a.attempt - b.attempt)
    .map((a) => ({
      id: `${row.id}:${a.attempt}`,
      attempt: a.attempt,
      outcome: a.outcome as AttemptOutcome,
      status_code: a.status_code,
      error_kind: a.error_kind,
      error: a.error,
      duration_ms: a.duration_ms,
      response_body: a.response,
      created_at: iso(a.created_at),
    }));
}

/**
 * SQL for a tenant's delivery `id` by primary key: the message (by the key its id carries) names
 * the delivery's endpoint in `targets`. Binds ?1–?3 (key parts), ?4 tenant, ?5 delivery id, ?6 ordinal.
 */
const DELIVERY_BY_ID = `d.tenant_id = ?4 AND d.id = ?5
  AND d.endpoint_id = (SELECT targets ->> ('$[' || CAST(?6 AS INTEGER) || ']') FROM messages WHERE key = ${SQL_MESSAGE_KEY("?1", "?2", "?3")} AND tenant_id = ?4)`;

/** The parameters of DELIVERY_BY_ID, or null for an id that names no delivery (a message's id, ordinal -1, included). */
function byIdParams(tenantId: string, id: string) {
  const key = messageKeyOf(id);
  const ordinal = ordinalOf(id);
  // Checked here, not left to SQL: '$[-1]' is not a JSON path SQLite accepts, it fails the statement.
  return key && ordinal >= 0 ? [key.bucket, key.offset, key.seq, tenantId, id, ordinal] : null;
}

/** One delivery of a tenant with its event and every attempt (one query by primary key), or null. */
export async function getDeliveryWithAttempts(db: D1Database, tenantId: string, id: string) {
  const params = byIdParams(tenantId, id);
  if (!params) return null;
  const row = await db
    .prepare(
      `SELECT ${SUMMARY_COLUMNS}, m.event, d.last_attempt, d.last_outcome, d.last_error_kind, d.last_duration_ms, d.last_response, d.history
       FROM deliveries AS d JOIN ${MESSAGE_OF_DELIVERY} WHERE ${DELIVERY_BY_ID}`,
    )
    .bind(...params)
    .first<DeliveryDetailRow>();
  if (!row) return null;
  return { ...toDeliverySummary(row), event: row.event, attempts: await attemptsOf(row) };
}

type ListQuery = { endpoint_id?: string; message_id?: string; status?: string; since?: number; limit: number; cursor?: string };

/**
 * The statuses a delivery keeps for good, held by the partial indexes deliveries_closed_by_tenant and
 * deliveries_closed_by_endpoint (migrations/shard/0006), and their WHERE term exactly as there:
 * SQLite uses a partial index only when the query's WHERE carries that same term. Every other
 * status is transient or common (an index on it would cost a row written on the enqueue path), so
 * a list filtered by it is a bounded scan (src/db/pagination.ts scannedPage).
 */
const CLOSED_STATUSES = new Set(["failed", "cancelled"]);
const CLOSED = "d.status IN ('failed', 'cancelled')";

// ?1 tenant, ?2 status, ?3 since (epoch ms), ?4 since floor id, ?5 cursor id, ?6 rows to fetch; ?7.. per shape.
// The since and cursor terms are written only when given: SQLite plans a statement before its
// values are bound, so a term like `(?5 IS NULL OR d.id < ?5)` would bound nothing, and every page
// after the first would walk again from the newest row.
const sinceAndCursor = (query: ListQuery) =>
  `${query.since === undefined ? "" : "AND d.id >= ?4"} ${query.cursor === undefined ? "" : "AND d.id < ?5"}`;
/** Whether a row of a scan matches the status filter: rows that do not are examined, not listed. */
const HIT = "(?2 IS NULL OR d.status = ?2)";

/** SQL for a column of the message of delivery `d`, read only for the rows `when` holds for (a scan reads no message for the rows it passes over). */
const messageColumn = (column: string, when: string) =>
  `CASE WHEN ${when} THEN (SELECT ${column} FROM messages WHERE key = ${sqlMessageKeyOf("d.id")} AND tenant_id = d.tenant_id) END`;

/**
 * The columns of a listed delivery. `m` is its message when the statement joins it; otherwise the
 * message id comes from the delivery id (a message id is its deliveries' ids with the last four
 * digits 0000) and the message row is read only for what needs it: a one-off delivery's url, and
 * the event when `labelled`. The endpoint's name is read only when `labelled` (the dashboard).
 */
function listColumns(messageJoined: boolean, labelled: boolean): string {
  const hitAnd = (term: string) => `${HIT} AND ${term}`;
  const message = messageJoined
    ? `m.id AS message_id, CASE WHEN d.endpoint_id = '' THEN m.webhook_url END AS url, ${labelled ? "m.event" : "NULL"} AS event`
    : `substr(d.id, 1, 32) || '0000' AS message_id, ${messageColumn("webhook_url", hitAnd("d.endpoint_id = ''"))} AS url,
       ${labelled ? messageColumn("event", HIT) : "NULL"} AS event`;
  const name = labelled ? `CASE WHEN ${hitAnd("d.endpoint_id <> ''")} THEN (SELECT name FROM endpoints WHERE id = d.endpoint_id AND tenant_id = d.tenant_id) END` : "NULL";
  return `d.id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at,
    ${message}, ${name} AS endpoint_name, ${HIT} AS hit`;
}

/** One list statement, and when it is a bounded scan (its rows include some that do not match), the most rows it examines. */
interface ListStatement {
  statement: D1PreparedStatement;
  budget: number | null;
}

/**
 * Most deliveries a scan examines. A walk over the tenant's messages costs ~2.5 D1 rows read per
 * delivery (its message's row shared by ~2, then a seek by primary key, which D1 counts as 2), so
 * it examines no more deliveries than an unfiltered page fetches; an endpoint's range costs one
 * row per delivery and examines scanBudget(limit).
 */
const budgetOf = (limit: number, walksMessages: boolean) => (walksMessages ? limit + 1 : scanBudget(limit));

/**
 * The statement of one list shape: one message's targets; the tenant's (or one endpoint's)
 * failed or cancelled deliveries through their partial index; one endpoint's primary-key range; or
 * a walk over the tenant's messages newest first, each message's deliveries in their ordinal order
 * as its `targets` holds them (sorting them newest first would cost a sorter's rows read for every
 * row; they share their message's time). A status with no index turns the last two into bounded scans.
 * test/query-plans.test.ts checks the plan of every shape.
 */
function listStatement(db: D1Database, tenantId: string, query: ListQuery, labelled: boolean): ListStatement | null {
  const before = decodeCursor(query.cursor);
  const since = query.since ?? null;
  const scan = query.status !== undefined && !CLOSED_STATUSES.has(query.status) && !query.message_id;
  const budget = scan ? budgetOf(query.limit, !query.endpoint_id) : null;
  const common = [tenantId, query.status ?? null, since, since === null ? null : idFloor(since), before?.id ?? null, budget ?? query.limit + 1];
  const result = (statement: D1PreparedStatement) => ({ statement, budget });
  if (query.status !== undefined && CLOSED_STATUSES.has(query.status) && !query.message_id) {
    const endpoint = query.endpoint_id ? [query.endpoint_id] : [];
    // Named, not left to the planner: without ANALYZE statistics it may prefer the primary key's
    // (tenant, endpoint) range, which walks every delivery of the endpoint to find the failed few.
    const index = endpoint.length ? "deliveries_closed_by_endpoint" : "deliveries_closed_by_tenant";
    return result(
      db
        .prepare(
          `SELECT ${listColumns(false, labelled)} FROM deliveries AS d INDEXED BY ${index}
           WHERE d.tenant_id = ?1 ${endpoint.length ? "AND d.endpoint_id = ?7" : ""} AND ${CLOSED} AND d.status = ?2 ${sinceAndCursor(query)}
           ORDER BY d.id DESC LIMIT ?6`,
        )
        .bind(...common, ...endpoint),
    );
  }
  if (query.message_id) {
    const key = messageKeyOf(query.message_id);
    if (!key) return null;
    return result(
      db
        .prepare(
          `SELECT ${listColumns(true, labelled)} FROM ${MESSAGE_DELIVERIES}
           WHERE m.key = ${SQL_MESSAGE_KEY("?7", "?8", "?9")} AND m.tenant_id = ?1 AND m.id = ?10
             AND (?11 IS NULL OR d.endpoint_id = ?11) AND ${HIT} ${sinceAndCursor(query)}
           ORDER BY d.id DESC LIMIT ?6`,
        )
        .bind(...common, key.bucket, key.offset, key.seq, query.message_id, query.endpoint_id ?? null),
    );
  }
  if (query.endpoint_id) {
    return result(
      db
        .prepare(
          `SELECT ${listColumns(false, labelled)} FROM deliveries AS d
           WHERE d.tenant_id = ?1 AND d.endpoint_id = ?7 ${sinceAndCursor(query)}
           ORDER BY d.id DESC LIMIT ?6`,
        )
        .bind(...common, query.endpoint_id),
    );
  }
  // One bound each way (SQLite seeks by a single lower and upper bound): the tenant's bucket cut at since and at the cursor's message.
  const keyFloor = query.since === undefined ? SQL_BUCKET_START("?7") : SQL_KEY_FLOOR("?7", "?3");
  const keyCeiling = query.cursor === undefined ? SQL_BUCKET_END("?7") : `min(${SQL_BUCKET_END("?7")}, ${sqlMessageKeyOf("?5")} + 1)`;
  return result(
    db
      .prepare(
        `SELECT ${listColumns(true, labelled)} FROM ${MESSAGES_THEN_DELIVERIES}
         WHERE m.key >= ${keyFloor} AND m.key < ${keyCeiling} AND m.tenant_id = ?1
           ${query.since === undefined ? "" : "AND d.id >= ?4"} ${query.cursor === undefined ? "" : `AND (m.key < ${sqlMessageKeyOf("?5")} OR d.id > ?5)`}
         ORDER BY m.key DESC LIMIT ?6`,
      )
      .bind(...common, tenantBucket(tenantId)),
  );
}

/**
 * A page of a tenant's deliveries, newest first, filtered by endpoint, message, status and age
 * (`since`, epoch ms), in one query. Every shape reads primary-key ranges or a partial index: an
 * endpoint's deliveries, a message's targets, the tenant's failed or cancelled ones, or the
 * tenant's messages newest first expanded to their deliveries. A status with no index of its own
 * (pending, retrying, scheduled, succeeded) examines at most scanBudget(limit) deliveries of an
 * endpoint's range, or limit + 1 of the tenant's (budgetOf), and may answer a short page with a
 * `next_cursor` (src/db/pagination.ts scannedPage).
 * `labelled` (the dashboard) adds each delivery's event and endpoint name, one row read each;
 * without it both are null.
 */
export async function listDeliveries(
  db: D1Database,
  tenantId: string,
  query: ListQuery,
  { labelled = false }: { labelled?: boolean } = {},
): Promise<{ data: DeliveryListEntry[]; next_cursor: string | null }> {
  const shape = listStatement(db, tenantId, query, labelled);
  const results = shape ? (await shape.statement.all<ListedRow>()).results : [];
  const { page, next_cursor } = shape?.budget ? scannedPage(results, (row) => row.hit === 1, query.limit, shape.budget) : paginate(results, query.limit);
  return {
    data: page.map((row) => ({ ...toDeliverySummary(row), event: row.event, endpoint_name: row.endpoint_name })),
    next_cursor,
  };
}

type ListedRow = DeliverySummaryRow & { event: string | null; endpoint_name: string | null; hit: number };

// A FIFO delivery still open keeps its place in its order (later ones go on waiting for it); a
// finished one replayed goes outside the order (fifo_seq NULL), neither waiting for nor holding others.
const REPLAY_SET = `status = 'pending', attempt_base = attempts, queue_token = ${SQL_QUEUE_TOKEN},
  next_attempt_at = NULL, enqueued_at = ?7, updated_at = max(?7, created_at + 1),
  fifo_seq = CASE WHEN status IN ('scheduled', 'pending', 'retrying') THEN fifo_seq END`;

/**
 * Puts a delivery back to pending with a fresh attempt budget and a new queue token (so any
 * older queue message for it turns stale), whatever its state. On a FIFO endpoint an open delivery
 * keeps its place in the order and a finished one is sent outside it. Null when the tenant has no such delivery.
 */
export async function replayDelivery(db: D1Database, tenantId: string, id: string, now: number): Promise<ScheduledDelivery | null> {
  const params = byIdParams(tenantId, id);
  if (!params) return null;
  return db
    .prepare(`UPDATE deliveries AS d SET ${REPLAY_SET} WHERE ${DELIVERY_BY_ID} RETURNING id, tenant_id, endpoint_id, queue_token`)
    .bind(...params, now)
    .first<ScheduledDelivery>();
}

/** Replays every failed delivery of an endpoint created at or after `since` (at most `limit`): one range of its primary key. */
export async function replayFailedForEndpoint(
  db: D1Database,
  tenantId: string,
  endpointId: string,
  since: number,
  now: number,
  limit: number,
): Promise<ScheduledDelivery[]> {
  const { results } = await db
    .prepare(
      `UPDATE deliveries SET ${REPLAY_SET.replaceAll("?7", "?1")}
       WHERE tenant_id = ?2 AND endpoint_id = ?3 AND id IN (
         SELECT id FROM deliveries WHERE tenant_id = ?2 AND endpoint_id = ?3 AND id >= ?4 AND status = 'failed' ORDER BY id LIMIT ?5)
       RETURNING id, tenant_id, endpoint_id, queue_token`,
    )
    .bind(now, tenantId, endpointId, idFloor(since), limit)
    .all<ScheduledDelivery>();
  return results;
}
