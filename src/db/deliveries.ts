import type { z } from "zod";
import type { AttemptOutcome, DeliveryStatus, DeliverySummarySchema } from "../schemas/messages";
import { decodeCursor, iso, paginate } from "./pagination";
import { SQL_QUEUE_TOKEN } from "./sql";

/** A delivery that was (re)scheduled and now needs a queue message. */
export interface ScheduledDelivery {
  id: string;
  queue_token: string;
}

/** A delivery's state as polling shows it: the columns of SUMMARY_COLUMNS. */
export interface DeliverySummaryRow {
  id: string;
  message_id: string;
  endpoint_id: string | null;
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

/** The columns of a DeliverySummaryRow, from `deliveries AS d`. */
export const SUMMARY_COLUMNS = `d.id, d.message_id, d.endpoint_id, d.url, d.status, d.attempts, d.next_attempt_at,
  d.last_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at`;

/** Maps a delivery row to its API summary. */
export function toDeliverySummary(row: DeliverySummaryRow): z.infer<typeof DeliverySummarySchema> {
  return {
    id: row.id,
    message_id: row.message_id,
    endpoint_id: row.endpoint_id,
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

/** A delivery in a list: its summary, its message's event and its endpoint's name (null when one-off or deleted). */
export type DeliveryListEntry = ReturnType<typeof toDeliverySummary> & { event: string; endpoint_name: string | null };

interface AttemptRow {
  id: string;
  attempt: number;
  outcome: string;
  status_code: number | null;
  error_kind: string | null;
  error: string | null;
  duration_ms: number;
  response_body: string | null;
  created_at: number;
}

/** One delivery of a tenant with its event and every attempt (one round trip), or null. */
export async function getDeliveryWithAttempts(db: D1Database, tenantId: string, id: string) {
  const [delivery, attempts] = await db.batch<(DeliverySummaryRow & { event: string }) | AttemptRow>([
    db
      .prepare(
        `SELECT ${SUMMARY_COLUMNS}, m.event FROM deliveries AS d JOIN messages AS m ON m.id = d.message_id
         WHERE d.id = ? AND d.tenant_id = ?`,
      )
      .bind(id, tenantId),
    db
      .prepare(
        `SELECT a.* FROM attempts AS a JOIN deliveries AS d ON d.id = a.delivery_id
         WHERE a.delivery_id = ? AND d.tenant_id = ? ORDER BY a.created_at, a.attempt`,
      )
      .bind(id, tenantId),
  ]);
  const row = delivery!.results[0] as (DeliverySummaryRow & { event: string }) | undefined;
  if (!row) return null;
  return {
    ...toDeliverySummary(row),
    event: row.event,
    attempts: (attempts!.results as AttemptRow[]).map((a) => ({
      id: a.id,
      attempt: a.attempt,
      outcome: a.outcome as AttemptOutcome,
      status_code: a.status_code,
      error_kind: a.error_kind,
      error: a.error,
      duration_ms: a.duration_ms,
      response_body: a.response_body,
      created_at: iso(a.created_at),
    })),
  };
}

/**
 * A page of a tenant's deliveries, newest first, filtered by endpoint, message, status and age
 * (`since`, epoch ms), each with its message's event and its endpoint's name (one query).
 */
export async function listDeliveries(
  db: D1Database,
  tenantId: string,
  query: { endpoint_id?: string; message_id?: string; status?: string; since?: number; limit: number; cursor?: string },
): Promise<{ data: DeliveryListEntry[]; next_cursor: string | null }> {
  const before = decodeCursor(query.cursor);
  const { results } = await db
    .prepare(
      `SELECT ${SUMMARY_COLUMNS}, m.event, e.name AS endpoint_name
       FROM deliveries AS d
       JOIN messages AS m ON m.id = d.message_id
       LEFT JOIN endpoints AS e ON e.id = d.endpoint_id AND e.tenant_id = d.tenant_id
       WHERE d.tenant_id = ?1
         AND (?2 IS NULL OR d.endpoint_id = ?2)
         AND (?3 IS NULL OR d.message_id = ?3)
         AND (?4 IS NULL OR d.status = ?4)
         AND (?5 IS NULL OR d.created_at >= ?5)
         AND (?6 IS NULL OR (d.created_at, d.id) < (?6, ?7))
       ORDER BY d.created_at DESC, d.id DESC LIMIT ?8`,
    )
    .bind(
      tenantId,
      query.endpoint_id ?? null,
      query.message_id ?? null,
      query.status ?? null,
      query.since ?? null,
      before?.createdAt ?? null,
      before?.id ?? null,
      query.limit + 1,
    )
    .all<DeliverySummaryRow & { event: string; endpoint_name: string | null }>();
  const { page, next_cursor } = paginate(results, query.limit);
  return {
    data: page.map((row) => ({ ...toDeliverySummary(row), event: row.event, endpoint_name: row.endpoint_name })),
    next_cursor,
  };
}

const REPLAY_SET = `status = 'pending', attempt_base = attempts, queue_token = ${SQL_QUEUE_TOKEN},
  next_attempt_at = NULL, enqueued_at = ?1, updated_at = ?1`;

/**
 * Puts a delivery back to pending with a fresh attempt budget and a new queue token (so any
 * older queue message for it turns stale), whatever its state. Null when the tenant has no such delivery.
 */
export async function replayDelivery(db: D1Database, tenantId: string, id: string, now: number): Promise<ScheduledDelivery | null> {
  return db
    .prepare(`UPDATE deliveries SET ${REPLAY_SET} WHERE id = ?2 AND tenant_id = ?3 RETURNING id, queue_token`)
    .bind(now, id, tenantId)
    .first<ScheduledDelivery>();
}

/** Replays every failed delivery of an endpoint created at or after `since` (at most `limit`). */
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
      `UPDATE deliveries SET ${REPLAY_SET}
       WHERE id IN (SELECT id FROM deliveries WHERE tenant_id = ?2 AND endpoint_id = ?3 AND status = 'failed'
                    AND created_at >= ?4 ORDER BY created_at LIMIT ?5)
       RETURNING id, queue_token`,
    )
    .bind(now, tenantId, endpointId, since, limit)
    .all<ScheduledDelivery>();
  return results;
}
