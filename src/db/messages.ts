import { SUMMARY_COLUMNS, toDeliverySummary, type DeliverySummaryRow } from "./deliveries";
import { decodeCursor, iso, paginate } from "./pagination";
import { SQL_QUEUE_TOKEN, SQL_UUID_V4 } from "./sql";

/** A delivery freshly written by enqueue: what the queue message and the 202 need. */
export interface NewDelivery {
  id: string;
  endpoint_id: string | null;
  queue_token: string;
}

/** What to store for one enqueue request. */
export interface MessageToStore {
  id: string;
  tenantId: string;
  event: string;
  source: string | null;
  payload: string;
  now: number;
  /** Explicit targets; when absent, every enabled endpoint whose events and source match. */
  endpointIds?: string[];
  webhookUrl?: string;
  idempotency?: { key: string; requestHash: string; expiresBefore: number };
}

/** Thrown when the Idempotency-Key was already used within its window: nothing was stored. */
export class IdempotencyKeyTaken extends Error {
  override name = "IdempotencyKeyTaken";
}

/** Thrown when the tenant does not exist: nothing was stored. */
export class TenantMissing extends Error {
  override name = "TenantMissing";
}

/** Thrown when an explicit endpoint id is not an endpoint of the tenant: nothing was stored. */
export class TargetMissing extends Error {
  override name = "TargetMissing";
}

const DELIVERY_COLUMNS = "id, tenant_id, message_id, endpoint_id, url, status, queue_token, enqueued_at, created_at, updated_at";

// Event patterns: exact, '*', or a prefix ending in '*'. Compared with substr, not LIKE, so '_'
// and '%' in event names stay literal.
const MATCHING_ENDPOINTS = `
  e.tenant_id = ?2 AND e.enabled = 1
  AND (e.source IS NULL OR e.source = ?4)
  AND (json_array_length(e.events) = 0 OR EXISTS (
    SELECT 1 FROM json_each(e.events) AS p
    WHERE p.value = ?3 OR (substr(p.value, -1) = '*'
      AND substr(?3, 1, length(p.value) - 1) = substr(p.value, 1, length(p.value) - 1))))`;

// Explicit targets: every id in ?5 joined to the tenant's endpoint of that id. An id that is not
// one of them joins to NULL, and its NULL tenant_id violates deliveries.tenant_id NOT NULL, which
// rolls the whole batch back: an unknown target stores nothing, without a read beforehand.
const EXPLICIT_TARGETS = `
  SELECT ${SQL_UUID_V4}, e.tenant_id, ?1, e.id, NULL, 'pending', ${SQL_QUEUE_TOKEN}, ?6, ?6, ?6
  FROM json_each(?5) AS t LEFT JOIN endpoints AS e ON e.id = t.value AND e.tenant_id = ?2`;

const MATCHED_TARGETS = `
  SELECT ${SQL_UUID_V4}, e.tenant_id, ?1, e.id, NULL, 'pending', ${SQL_QUEUE_TOKEN}, ?6, ?6, ?6
  FROM endpoints AS e WHERE ${MATCHING_ENDPOINTS}`;

/**
 * Stores a message and one pending delivery per target in ONE atomic D1 batch (the idempotency
 * key too), so a message is either fully recorded or not at all. The batch is the enqueue path's
 * only D1 round trip, so it also checks what would otherwise take reads first: the message row is
 * selected from the tenant's row and everything else from the message row (no tenant, nothing
 * stored: TenantMissing), and explicit targets must join to the tenant's endpoints (TargetMissing).
 */
export async function storeMessage(db: D1Database, m: MessageToStore): Promise<NewDelivery[]> {
  const statements: D1PreparedStatement[] = [
    db
      .prepare(
        `INSERT INTO messages (id, tenant_id, event, source, payload, created_at)
         SELECT ?1, id, ?3, ?4, ?5, ?6 FROM tenants WHERE id = ?2 RETURNING id`,
      )
      .bind(m.id, m.tenantId, m.event, m.source, m.payload, m.now),
  ];
  if (m.idempotency) {
    const { key, requestHash, expiresBefore } = m.idempotency;
    statements.push(
      db.prepare("DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND created_at < ?").bind(m.tenantId, key, expiresBefore),
      // No ON CONFLICT: a live key makes this fail and the whole batch roll back.
      db
        .prepare(
          `INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, created_at)
           SELECT tenant_id, ?2, ?3, id, created_at FROM messages WHERE id = ?1`,
        )
        .bind(m.id, key, requestHash),
    );
  }
  const fanOutIndex = statements.length;
  statements.push(
    db
      .prepare(`INSERT INTO deliveries (${DELIVERY_COLUMNS}) ${m.endpointIds ? EXPLICIT_TARGETS : MATCHED_TARGETS} RETURNING id, endpoint_id, queue_token`)
      .bind(m.id, m.tenantId, m.event, m.source, JSON.stringify(m.endpointIds ?? []), m.now),
  );
  if (m.webhookUrl) {
    statements.push(
      db
        .prepare(
          `INSERT INTO deliveries (${DELIVERY_COLUMNS})
           SELECT ${SQL_UUID_V4}, tenant_id, id, NULL, ?2, 'pending', ${SQL_QUEUE_TOKEN}, created_at, created_at, created_at
           FROM messages WHERE id = ?1
           RETURNING id, endpoint_id, queue_token`,
        )
        .bind(m.id, m.webhookUrl),
    );
  }
  let results: D1Result<NewDelivery>[];
  try {
    results = await db.batch<NewDelivery>(statements);
  } catch (error) {
    const reason = String(error);
    if (m.idempotency && reason.includes("UNIQUE constraint failed: idempotency_keys")) throw new IdempotencyKeyTaken();
    if (m.endpointIds && reason.includes("NOT NULL constraint failed: deliveries.tenant_id")) throw new TargetMissing();
    throw error;
  }
  if (results[0]!.results.length === 0) throw new TenantMissing();
  return results.slice(fanOutIndex).flatMap((r) => r.results);
}

/** The message an unexpired Idempotency-Key points at, with the hash of the request that set it. */
export async function findIdempotencyKey(
  db: D1Database,
  tenantId: string,
  key: string,
): Promise<{ message_id: string; request_hash: string } | null> {
  return db
    .prepare("SELECT message_id, request_hash FROM idempotency_keys WHERE tenant_id = ? AND key = ?")
    .bind(tenantId, key)
    .first();
}

interface MessageRow {
  id: string;
  tenant_id: string;
  event: string;
  source: string | null;
  payload: string;
  created_at: number;
}

/**
 * A tenant's message with every delivery's state (one round trip), or null. `payload` is the
 * stored JSON text, as sent: splice it into a response rather than parse it (numbers would change).
 */
export async function getMessageWithDeliveries(db: D1Database, tenantId: string, id: string) {
  const [message, deliveries] = await db.batch<MessageRow | DeliverySummaryRow>([
    db.prepare("SELECT * FROM messages WHERE id = ? AND tenant_id = ?").bind(id, tenantId),
    db
      .prepare(`SELECT ${SUMMARY_COLUMNS} FROM deliveries AS d WHERE d.message_id = ? AND d.tenant_id = ? ORDER BY d.created_at, d.id`)
      .bind(id, tenantId),
  ]);
  const row = message!.results[0] as MessageRow | undefined;
  if (!row) return null;
  return {
    id: row.id,
    event: row.event,
    source: row.source,
    payload: row.payload,
    created_at: iso(row.created_at),
    deliveries: (deliveries!.results as DeliverySummaryRow[]).map(toDeliverySummary),
  };
}

/** A page of a tenant's messages, newest first, without payloads. */
export async function listMessages(
  db: D1Database,
  tenantId: string,
  query: { event?: string; limit: number; cursor?: string },
) {
  const before = decodeCursor(query.cursor);
  const { results } = await db
    .prepare(
      `SELECT id, event, source, created_at FROM messages
       WHERE tenant_id = ?1 AND (?2 IS NULL OR event = ?2)
         AND (?3 IS NULL OR (created_at, id) < (?3, ?4))
       ORDER BY created_at DESC, id DESC LIMIT ?5`,
    )
    .bind(tenantId, query.event ?? null, before?.createdAt ?? null, before?.id ?? null, query.limit + 1)
    .all<{ id: string; event: string; source: string | null; created_at: number }>();
  const { page, next_cursor } = paginate(results, query.limit);
  return { data: page.map((m) => ({ ...m, created_at: iso(m.created_at) })), next_cursor };
}
