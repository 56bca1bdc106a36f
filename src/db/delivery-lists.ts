import { idFloor, messageKeyOf, SQL_BUCKET_END, SQL_BUCKET_START, SQL_KEY_FLOOR, SQL_MESSAGE_KEY, sqlMessageKeyOf, tenantBucket } from "../lib/ids";
import { MESSAGE_DELIVERIES, toDeliverySummary, type DeliveryListEntry, type DeliverySummaryRow } from "./deliveries";
import { decodeCursor, paginate, scanBudget, scannedPage } from "./pagination";

/**
 * Lists of a tenant's deliveries (`GET …/deliveries`, the dashboard's logs): one statement per
 * shape of filter, every one a primary-key range, a partial index or a bounded scan.
 */

/**
 * A message joined to its deliveries in ordinal order, messages outermost, so a walk over a range of
 * messages yields their deliveries in the messages' order without a sort. D1 counts a row read for
 * every step of json_each past its first row, the step that finds its end included, and one for
 * each seek by primary key that finds its row (workerd's patches/sqlite/0001-row-counts: OP_VNext,
 * OP_SeekGE; test/bounded-lists.test.ts measures it): over the whole array that is one row per target on top of its seek. So the first target is sought
 * straight from the message and json_each walks only the others (none for a message with one
 * target: the LEFT JOIN's row of NULLs costs nothing); the first of those rows also carries the
 * first target (the OR's first branch). CROSS JOIN keeps SQLite from starting at the deliveries,
 * which it may prefer without ANALYZE statistics.
 */
const MESSAGES_THEN_DELIVERIES = `messages AS m
  LEFT JOIN json_each(CASE WHEN json_array_length(m.targets) > 1 THEN json_remove(m.targets, '$[0]') END) AS t
  CROSS JOIN deliveries AS d
  ON (coalesce(t.key, 0) = 0 AND d.tenant_id = m.tenant_id AND d.endpoint_id = m.targets ->> 0 AND d.id = substr(m.id, 1, 32) || '0001')
  OR (d.tenant_id = m.tenant_id AND d.endpoint_id = t.value AND d.id = substr(m.id, 1, 32) || printf('%04x', t.key + 2))`;

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
 * Most deliveries a scan examines. A walk over the tenant's messages costs 2 D1 rows read per
 * delivery (its seek by primary key, plus its message's row for the first target and a step of
 * json_each for each other one: MESSAGES_THEN_DELIVERIES), so it examines no more deliveries than
 * an unfiltered page fetches; an endpoint's range costs one row per delivery and examines
 * scanBudget(limit).
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
  return result(tenantWalk(db, tenantId, query, labelled).bind(...common, tenantBucket(tenantId)));
}

/** The walk over the tenant's messages newest first, each expanded to its deliveries (binds ?7 to the tenant's bucket). */
function tenantWalk(db: D1Database, tenantId: string, query: ListQuery, labelled: boolean): D1PreparedStatement {
  // One bound each way (SQLite seeks by a single lower and upper bound): the tenant's bucket cut at since and at the cursor's message.
  const keyFloor = query.since === undefined ? SQL_BUCKET_START("?7") : SQL_KEY_FLOOR("?7", "?3");
  const keyCeiling = query.cursor === undefined ? SQL_BUCKET_END("?7") : `min(${SQL_BUCKET_END("?7")}, ${sqlMessageKeyOf("?5")} + 1)`;
  return db.prepare(
    `SELECT ${listColumns(true, labelled)} FROM ${MESSAGES_THEN_DELIVERIES}
     WHERE m.key >= ${keyFloor} AND m.key < ${keyCeiling} AND m.tenant_id = ?1
       ${query.since === undefined ? "" : "AND d.id >= ?4"} ${query.cursor === undefined ? "" : `AND (m.key < ${sqlMessageKeyOf("?5")} OR d.id > ?5)`}
     ORDER BY m.key DESC LIMIT ?6`,
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