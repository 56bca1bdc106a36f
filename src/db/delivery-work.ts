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
  enqueued_at: number | null;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
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
              d.queue_token, d.enqueued_at, d.next_attempt_at, d.last_attempt_at, m.payload,
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
  /** The queue chain the sending batch held, and the row's `last_attempt_at` when it loaded it. */
  queueToken: string;
  seenLastAttemptAt: number | null;
  endpointId: string | null;
  outcome: AttemptOutcome;
  statusCode: number | null;
  errorKind: string | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
  /** Epoch ms; for a live record it becomes `last_attempt_at`, so it must differ from `seenLastAttemptAt`. */
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

// Three statements for a whole batch of attempts, whatever its size: the records travel as one JSON
// parameter and SQLite unpacks them with json_each.
//
// Every statement joins the delivery row as it is NOW, so the record of a delivery deleted meanwhile
// (its tenant was deleted mid-batch) is skipped instead of failing the attempts foreign key, and
// with it every other tenant's records in the batch. Attempt numbers come from the row's count at
// record time, never from the batch's earlier read, so they stay unique and equal to the count even
// when two batches sent the same delivery.
//
// A record is LIVE when its batch still holds the delivery's queue chain (same token) and no other
// batch recorded an attempt on that chain since this one loaded the row (same last_attempt_at). Only
// a live record sets the delivery's state. A stale one (a replay or re-arm replaced the chain while
// the request was in flight, or a duplicate queue message ran the chain twice) is kept as an attempt
// (the receiver did get it) and counted, but never overwrites what a newer batch decided.
const INSERT_ATTEMPTS = `
  INSERT INTO attempts (id, delivery_id, attempt, outcome, status_code, error_kind, error, duration_ms, response_body, created_at)
  SELECT r.value ->> 'attemptId', d.id, d.attempts + 1, r.value ->> 'outcome', r.value ->> 'statusCode',
         r.value ->> 'errorKind', r.value ->> 'error', r.value ->> 'durationMs', r.value ->> 'responseBody', r.value ->> 'at'
  FROM json_each(?) AS r JOIN deliveries AS d ON d.id = r.value ->> 'deliveryId'`;
const RECORDS = `
  SELECT value ->> 'deliveryId' AS id, value ->> 'queueToken' AS queue_token, value ->> 'seenLastAttemptAt' AS seen,
         value ->> 'status' AS status, value ->> 'nextAttemptAt' AS next_attempt_at, value ->> 'at' AS at,
         value ->> 'statusCode' AS status_code, value ->> 'error' AS error
  FROM json_each(?)`;
const IS_LIVE = "deliveries.queue_token = r.queue_token AND deliveries.last_attempt_at IS r.seen";
// Runs before APPLY_LIVE_RESULTS, which changes last_attempt_at and so what IS_LIVE sees. An attempt
// of a chain that was replaced meanwhile (a replay) belongs to the old cycle: it moves attempt_base
// along with the count, so the replay keeps its whole fresh budget.
const COUNT_STALE_ATTEMPTS = `
  UPDATE deliveries SET attempts = attempts + 1, attempt_base = attempt_base + (deliveries.queue_token <> r.queue_token)
  FROM (${RECORDS}) AS r
  WHERE deliveries.id = r.id AND NOT (${IS_LIVE})`;
const APPLY_LIVE_RESULTS = `
  UPDATE deliveries SET status = r.status, attempts = attempts + 1, next_attempt_at = r.next_attempt_at, last_attempt_at = r.at,
    last_status_code = r.status_code, last_error = r.error, updated_at = r.at
  FROM (${RECORDS}) AS r
  WHERE deliveries.id = r.id AND ${IS_LIVE}
  RETURNING id`;

/**
 * Writes a consumer batch's results in ONE D1 batch: attempt rows and delivery states (three
 * statements for all attempts, at most one record per delivery), cancellations, and endpoint failure
 * streaks (a 410 disables at once). Returns the ids of deliveries whose record was live, i.e. whose
 * state it set; the others were replaced, finished by another batch or deleted meanwhile.
 */
export async function recordBatchResults(
  db: D1Database,
  attempts: AttemptRecord[],
  cancellations: Cancellation[],
  health: EndpointHealth[],
): Promise<Set<string>> {
  const statements: D1PreparedStatement[] = [];
  const liveResults: number[] = [];
  for (const records of attemptChunks(attempts)) {
    liveResults.push(statements.length + 2);
    statements.push(
      db.prepare(INSERT_ATTEMPTS).bind(records),
      db.prepare(COUNT_STALE_ATTEMPTS).bind(records),
      db.prepare(APPLY_LIVE_RESULTS).bind(records),
    );
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
      statements.push(
        db.prepare("UPDATE endpoints SET failing_since = NULL, last_failed_at = NULL WHERE id = ? AND failing_since IS NOT NULL").bind(h.endpointId),
      );
    } else if (h.failedAt !== null) {
      // Both ends of the streak: the sweeper needs evidence that failures span its whole window.
      statements.push(
        db
          .prepare(
            `UPDATE endpoints SET failing_since = coalesce(failing_since, ?1), last_failed_at = max(coalesce(last_failed_at, ?1), ?1)
             WHERE id = ?2`,
          )
          .bind(h.failedAt, h.endpointId),
      );
    }
  }
  if (statements.length === 0) return new Set();
  const results = await db.batch<{ id: string }>(statements);
  return new Set(liveResults.flatMap((i) => results[i]!.results.map((r) => r.id)));
}

/**
 * Renews the claim of deliveries a batch is about to send whose claim would lapse before the batch
 * could end (see src/delivery/claim.ts): their claim now begins at `now` (epoch ms). Returns the ids
 * the batch still holds; a delivery whose queue chain was replaced or that finished meanwhile is not
 * among them and must not be sent.
 */
export async function renewClaims(db: D1Database, claims: Array<{ deliveryId: string; queueToken: string }>, now: number): Promise<Set<string>> {
  const { results } = await db
    .prepare(
      `UPDATE deliveries SET enqueued_at = ?2
       WHERE status IN ('pending', 'retrying')
         AND (id, queue_token) IN (SELECT value ->> 'deliveryId', value ->> 'queueToken' FROM json_each(?1))
       RETURNING id`,
    )
    .bind(JSON.stringify(claims), now)
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}
