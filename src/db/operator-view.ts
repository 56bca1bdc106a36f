import type { Endpoint } from "../schemas/endpoints";
import { messageKeyOf, SQL_MESSAGE_KEY } from "../lib/ids";
import { toEndpoint, type EndpointRow } from "./endpoints";
import { iso } from "./pagination";

/** A failed delivery (a dead letter) as the operator view lists it. */
export interface DeadLetter {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  attempts: number;
  last_error: string | null;
  last_status_code: number | null;
  failed_at: string;
}

/**
 * One shard's failing and disabled endpoints, at most `limit`: failing ones first, longest failing
 * first, then disabled ones. Reads every endpoint row of the shard, as the sweeper's auto-disable
 * already does each run (src/db/maintenance.ts): an index on the streak would cost every endpoint
 * one more row write when its streak starts and ends, past the ≤ 3 rows per delivery target.
 */
export async function troubledEndpoints(db: D1Database, limit: number): Promise<Endpoint[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM endpoints WHERE enabled = 0 OR failing_since IS NOT NULL
       ORDER BY failing_since IS NULL, failing_since, updated_at DESC LIMIT ?`,
    )
    .bind(limit)
    .all<EndpointRow>();
  return results.map(toEndpoint);
}

/**
 * One shard's newest failed deliveries, at most `limit` (ids are time-ordered): the last `limit`
 * entries of the partial index deliveries_failed (migrations/shard/0018), about `limit` rows read
 * however many deliveries failed. Named, not left to the planner, which without statistics may
 * prefer another index; the status term repeats the index's condition, as SQLite needs to use it.
 */
export async function deadLetters(db: D1Database, limit: number): Promise<DeadLetter[]> {
  const { results } = await db
    .prepare(
      `SELECT id, tenant_id, endpoint_id, attempts, last_error, last_status_code, updated_at FROM deliveries INDEXED BY deliveries_failed
       WHERE status = 'failed' ORDER BY id DESC LIMIT ?`,
    )
    .bind(limit)
    .all<Omit<DeadLetter, "failed_at"> & { updated_at: number }>();
  return results.map(({ updated_at, ...d }) => ({ ...d, failed_at: iso(updated_at) }));
}

/**
 * The tenant of the message with this id on one shard and how many deliveries it has (one per
 * target, ordinals 0 to deliveries − 1), or null: a primary-key seek (src/lib/ids.ts).
 */
export async function tenantOfMessage(db: D1Database, messageId: string): Promise<{ tenantId: string; deliveries: number } | null> {
  const key = messageKeyOf(messageId);
  if (!key) return null;
  const row = await db
    .prepare(`SELECT tenant_id, json_array_length(targets) AS deliveries FROM messages WHERE key = ${SQL_MESSAGE_KEY("?1", "?2", "?3")} AND id = ?4`)
    .bind(key.bucket, key.offset, key.seq, messageId)
    .first<{ tenant_id: string; deliveries: number }>();
  return row ? { tenantId: row.tenant_id, deliveries: row.deliveries } : null;
}
