import { toDeliverySummary, type DeliverySummaryRow } from "./messages";
import { decodeCursor, paginate } from "./pagination";

/** A delivery as the dashboard's log lists it: its state, its event and its endpoint's name. */
export type DeliveryLogEntry = ReturnType<typeof toDeliverySummary> & { event: string; endpoint_name: string | null };

/**
 * A page of a tenant's deliveries, newest first, optionally one endpoint's and of one status, each
 * with its message's event and its endpoint's name (one query; same cursors as the API's list).
 */
export async function listDeliveryLog(
  db: D1Database,
  tenantId: string,
  query: { endpointId?: string; status?: string; limit: number; cursor?: string },
): Promise<{ data: DeliveryLogEntry[]; next_cursor: string | null }> {
  const before = decodeCursor(query.cursor);
  const { results } = await db
    .prepare(
      `SELECT d.id, d.message_id, d.endpoint_id, d.url, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at,
         d.last_status_code, d.last_error, d.created_at, d.updated_at, m.event, e.name AS endpoint_name
       FROM deliveries AS d
       JOIN messages AS m ON m.id = d.message_id
       LEFT JOIN endpoints AS e ON e.id = d.endpoint_id AND e.tenant_id = d.tenant_id
       WHERE d.tenant_id = ?1
         AND (?2 IS NULL OR d.endpoint_id = ?2)
         AND (?3 IS NULL OR d.status = ?3)
         AND (?4 IS NULL OR (d.created_at, d.id) < (?4, ?5))
       ORDER BY d.created_at DESC, d.id DESC LIMIT ?6`,
    )
    .bind(tenantId, query.endpointId ?? null, query.status ?? null, before?.createdAt ?? null, before?.id ?? null, query.limit + 1)
    .all<DeliverySummaryRow & { event: string; endpoint_name: string | null }>();
  const { page, next_cursor } = paginate(results, query.limit);
  return {
    data: page.map((row) => ({ ...toDeliverySummary(row), event: row.event, endpoint_name: row.endpoint_name })),
    next_cursor,
  };
}
