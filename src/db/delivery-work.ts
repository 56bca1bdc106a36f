import type { AttemptOutcome, DeliveryStatus } from "../schemas/messages";

/** One delivery joined with its message and (if any) endpoint: all the consumer needs to send it. */
export interface DeliveryWork {
  id: string;
  tenant_id: string;
  message_id: string;
  endpoint_id: string | null;
  url: string | null;
  status: string;
  attempts: number;
  attempt_base: number;
  queue_token: string;
  next_attempt_at: number | null;
  payload: string;
  /** Endpoint columns; null when the delivery is one-off or the endpoint was deleted. */
  endpoint_exists: number | null;
  endpoint_url: string | null;
  endpoint_enabled: number | null;
  endpoint_headers: string | null;
  endpoint_signature: string | null;
  endpoint_retry: string | null;
  endpoint_timeout_ms: number | null;
}

/** Loads a whole consumer batch in one query (ids travel as one JSON parameter). */
export async function loadDeliveryWork(db: D1Database, ids: string[]): Promise<Map<string, DeliveryWork>> {
  const { results } = await db
    .prepare(
      `SELECT d.id, d.tenant_id, d.message_id, d.endpoint_id, d.url, d.status, d.attempts, d.attempt_base,
              d.queue_token, d.next_attempt_at, m.payload,
              e.enabled IS NOT NULL AS endpoint_exists, e.url AS endpoint_url, e.enabled AS endpoint_enabled,
              e.headers AS endpoint_headers, e.signature AS endpoint_signature, e.retry AS endpoint_retry,
              e.timeout_ms AS endpoint_timeout_ms
       FROM deliveries AS d
       JOIN messages AS m ON m.id = d.message_id
       LEFT JOIN endpoints AS e ON e.id = d.endpoint_id
       WHERE d.id IN (SELECT value FROM json_each(?))`,
    )
    .bind(JSON.stringify(ids))
    .all<DeliveryWork>();
  return new Map(results.map((r) => [r.id, r]));
}

/** An attempt to record, with the delivery state it leads to. */
export interface AttemptRecord {
  deliveryId: string;
  queueToken: string;
  endpointId: string | null;
  attempt: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  errorKind: string | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
  at: number;
  status: Extract<DeliveryStatus, "succeeded" | "retrying" | "failed">;
  nextAttemptAt: number | null;
}

/** A delivery closed without an attempt (its endpoint went away or was disabled). */
export interface Cancellation {
  deliveryId: string;
  queueToken: string;
  reason: string;
  at: number;
}

/** How an endpoint's health moved during one consumer batch. */
export interface EndpointHealth {
  endpointId: string;
  succeeded: boolean;
  failedAt: number | null;
  gone: boolean;
}

/**
 * Bound parameters stay far below D1's 2 MB value limit: attempts travel as JSON arrays of at most
 * this many characters (a full batch of ordinary attempts is a few tens of KB, one array).
 */
const RECORDS_JSON_CHARS = 500_000;

/** Splits attempt records into JSON arrays of at most RECORDS_JSON_CHARS characters each. */
function attemptChunks(attempts: AttemptRecord[]): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const a of attempts) {
    const row = JSON.stringify({ ...a, attemptId: crypto.randomUUID() });
    if (current.length > 0 && size + row.length + 1 > RECORDS_JSON_CHARS) {
      chunks.push(`[${current.join(",")}]`);
      current = [];
      size = 2;
    }
    current.push(row);
    size += row.length + 1;
  }
  if (current.length > 0) chunks.push(`[${current.join(",")}]`);
  return chunks;
}

// Two statements for a whole batch of attempts, whatever its size: the records travel as one JSON
// parameter and SQLite unpacks them with json_each. A delivery's state changes only if its queue
// chain is still the live one.
const INSERT_ATTEMPTS = `
  INSERT INTO attempts (id, delivery_id, attempt, outcome, status_code, error_kind, error, duration_ms, response_body, created_at)
  SELECT r.value ->> 'attemptId', r.value ->> 'deliveryId', r.value ->> 'attempt', r.value ->> 'outcome', r.value ->> 'statusCode',
         r.value ->> 'errorKind', r.value ->> 'error', r.value ->> 'durationMs', r.value ->> 'responseBody', r.value ->> 'at'
  FROM json_each(?) AS r`;
const UPDATE_DELIVERIES = `
  UPDATE deliveries SET status = r.status, attempts = r.attempt, next_attempt_at = r.next_attempt_at, last_attempt_at = r.at,
    last_status_code = r.status_code, last_error = r.error, updated_at = r.at
  FROM (SELECT value ->> 'deliveryId' AS id, value ->> 'queueToken' AS queue_token, value ->> 'status' AS status,
          value ->> 'attempt' AS attempt, value ->> 'nextAttemptAt' AS next_attempt_at, value ->> 'at' AS at,
          value ->> 'statusCode' AS status_code, value ->> 'error' AS error
        FROM json_each(?)) AS r
  WHERE deliveries.id = r.id AND deliveries.queue_token = r.queue_token`;

/**
 * Writes a consumer batch's results in ONE D1 batch: attempt rows and delivery states (two
 * statements for all attempts), cancellations, and endpoint failure streaks (a 410 disables at once).
 */
export async function recordBatchResults(
  db: D1Database,
  attempts: AttemptRecord[],
  cancellations: Cancellation[],
  health: EndpointHealth[],
): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  for (const records of attemptChunks(attempts)) {
    statements.push(db.prepare(INSERT_ATTEMPTS).bind(records), db.prepare(UPDATE_DELIVERIES).bind(records));
  }
  for (const c of cancellations) {
    statements.push(
      db
        .prepare(
          `UPDATE deliveries SET status = 'cancelled', last_error = ?, next_attempt_at = NULL, updated_at = ?
           WHERE id = ? AND queue_token = ? AND status IN ('pending', 'retrying')`,
        )
        .bind(c.reason, c.at, c.deliveryId, c.queueToken),
    );
  }
  for (const h of health) {
    if (h.gone) {
      statements.push(
        db
          .prepare("UPDATE endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?")
          .bind("Receiver answered 410 Gone", h.failedAt, h.endpointId),
      );
    } else if (h.succeeded) {
      statements.push(db.prepare("UPDATE endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL").bind(h.endpointId));
    } else if (h.failedAt !== null) {
      statements.push(
        db.prepare("UPDATE endpoints SET failing_since = ? WHERE id = ? AND failing_since IS NULL").bind(h.failedAt, h.endpointId),
      );
    }
  }
  if (statements.length > 0) await db.batch(statements);
}
