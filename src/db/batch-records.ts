import { compressText } from "../lib/compression";
import type { StatsRollup } from "../lib/endpoint-stats";
import type { AttemptOutcome, DeliveryStatus } from "../schemas/messages";
import { endpointHealthStatements, type EndpointHealth, type EndpointTransition } from "./endpoint-health";
import { statsStatement } from "./endpoint-stats";
import { SQL_DUE_IS_PENDING, sqlWakeNextInOrder, type WokenDelivery } from "./sql";

/**
 * What a consumer batch writes when it ends: its attempts, cancellations, deferred claims,
 * endpoint health and stats rollups, in one D1 batch per shard (recordBatchResults).
 */

/** An attempt to record, with the delivery state it leads to. */
export interface AttemptRecord {
  deliveryId: string;
  tenantId: string;
  /** "" for a one-off webhook_url delivery. */
  endpointId: string;
  /** The queue chain the sending batch held, and the row's `last_attempt_at` when it loaded it. */
  queueToken: string;
  seenLastAttemptAt: number | null;
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
  /**
   * Whether the delivery held a place in a FIFO order when its batch loaded it (fifo_seq set): only
   * such a record can wake the next delivery of its order (WAKE_NEXT_IN_ORDER). Not stored.
   */
  inOrder: boolean;
}

/** A delivery closed without an attempt (its endpoint went away or was disabled). */
export interface Cancellation {
  deliveryId: string;
  tenantId: string;
  endpointId: string;
  queueToken: string;
  reason: string;
  at: number;
}

/**
 * A delivery given back to the queue without an attempt (src/delivery/claim.ts, deferralOutlivesClaim):
 * its claim begins at `from` (epoch ms, when its message comes back), so the sweeper leaves it alone
 * while it waits. `at` is now (epoch ms).
 */
export interface DeferredClaim {
  deliveryId: string;
  tenantId: string;
  endpointId: string;
  queueToken: string;
  from: number;
  at: number;
}

/**
 * Bound parameters stay far below D1's 2 MB value limit: attempts travel as JSON arrays of at most
 * this many characters (a full batch of ordinary attempts is a few tens of KB, one array).
 */
const RECORDS_JSON_CHARS = 500_000;

/**
 * A response excerpt as the row keeps it: Brotli-compressed (hex, for unhex() in SQL) when that is smaller,
 * else the text itself. A typical answer ("ok", a short JSON) stays text.
 */
function storedExcerpt(text: string | null): { response: string | null; responseHex?: string } {
  if (!text) return { response: text };
  const compressed = compressText(text);
  if (compressed.byteLength >= new TextEncoder().encode(text).byteLength) return { response: text };
  return { response: null, responseHex: Array.from(compressed, (b) => b.toString(16).padStart(2, "0")).join("") };
}

/** Splits attempt records into JSON arrays of at most RECORDS_JSON_CHARS characters each. */
function attemptChunks(attempts: AttemptRecord[]): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const { responseBody, inOrder: _, ...a } of attempts) {
    const row = JSON.stringify({ ...a, ...storedExcerpt(responseBody) });
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
// parameter and SQLite unpacks them with json_each. Each record reaches its delivery by primary key.
//
// A delivery deleted meanwhile (its tenant was deleted mid-batch) matches nothing, so its record is
// skipped. Attempt numbers come from the row's count at record time, never from the batch's earlier
// read, so they stay unique and equal to the count even when two batches sent the same delivery.
//
// A record is LIVE when its batch still holds the delivery's queue chain (same token) and no other
// batch recorded an attempt on that chain since this one loaded the row (same last_attempt_at). Only
// a live record sets the delivery's state; the attempt it replaces as the latest moves to `history`.
// A stale one (a replay or re-arm replaced the chain while the request was in flight, or a duplicate
// queue message ran the chain twice) goes to `history` (the receiver did get it) and is counted, but
// never overwrites what a newer batch decided.
const RECORDS = `
  SELECT value ->> 'tenantId' AS tenant_id, value ->> 'endpointId' AS endpoint_id, value ->> 'deliveryId' AS id,
         value ->> 'queueToken' AS queue_token, value ->> 'seenLastAttemptAt' AS seen,
         value ->> 'status' AS status, value ->> 'nextAttemptAt' AS next_attempt_at, value ->> 'at' AS at,
         value ->> 'outcome' AS outcome, value ->> 'statusCode' AS status_code, value ->> 'errorKind' AS error_kind,
         value ->> 'error' AS error, value ->> 'durationMs' AS duration_ms,
         value ->> 'response' AS response, value ->> 'responseHex' AS response_hex
  FROM json_each(?)`;
const MATCHES = "deliveries.tenant_id = r.tenant_id AND deliveries.endpoint_id = r.endpoint_id AND deliveries.id = r.id";
const IS_LIVE = "deliveries.queue_token = r.queue_token AND deliveries.last_attempt_at IS r.seen";
/** `history` with one more entry built from the given SQL expressions. */
const appendHistory = (e: Record<string, string>) =>
  `json_insert(coalesce(deliveries.history, '[]'), '$[#]', json_object(${Object.entries(e).map(([k, v]) => `'${k}', ${v}`).join(", ")}))`;
const HISTORY_OF_RECORD = appendHistory({
  attempt: "deliveries.attempts + 1", outcome: "r.outcome", status_code: "r.status_code", error_kind: "r.error_kind", error: "r.error",
  duration_ms: "r.duration_ms", response: "r.response", response_z: "r.response_hex", created_at: "r.at",
});
const HISTORY_OF_LATEST = appendHistory({
  attempt: "deliveries.last_attempt", outcome: "deliveries.last_outcome", status_code: "deliveries.last_status_code",
  error_kind: "deliveries.last_error_kind", error: "deliveries.last_error", duration_ms: "deliveries.last_duration_ms",
  response: "CASE WHEN typeof(deliveries.last_response) = 'text' THEN deliveries.last_response END",
  response_z: "CASE WHEN typeof(deliveries.last_response) = 'blob' THEN lower(hex(deliveries.last_response)) END",
  created_at: "deliveries.last_attempt_at",
});
// Runs before APPLY_LIVE_RESULTS, which changes last_attempt_at and so what IS_LIVE sees. An attempt
// of a chain that was replaced meanwhile (a replay) belongs to the old cycle: it moves attempt_base
// along with the count, so the replay keeps its whole fresh budget.
const RECORD_STALE_ATTEMPTS = `
  UPDATE deliveries SET attempts = attempts + 1, attempt_base = attempt_base + (deliveries.queue_token <> r.queue_token),
    history = ${HISTORY_OF_RECORD}
  FROM (${RECORDS}) AS r
  WHERE ${MATCHES} AND NOT (${IS_LIVE})`;
// updated_at moves past created_at, so a delivery still open afterwards is in deliveries_open.
const APPLY_LIVE_RESULTS = `
  UPDATE deliveries SET status = r.status, attempts = attempts + 1, next_attempt_at = r.next_attempt_at, last_attempt_at = r.at, last_attempt = attempts + 1,
    last_status_code = r.status_code, last_error_kind = r.error_kind, last_error = r.error, last_duration_ms = r.duration_ms,
    last_outcome = r.outcome, last_response = coalesce(unhex(r.response_hex), r.response),
    history = CASE WHEN last_outcome IS NULL THEN history ELSE ${HISTORY_OF_LATEST} END,
    updated_at = max(r.at, created_at + 1)
  FROM (${RECORDS}) AS r
  WHERE ${MATCHES} AND ${IS_LIVE}
  RETURNING id`;

// The wake of a FIFO order (src/db/sql.ts sqlWakeNextInOrder): a live record that closed the head of
// its order (succeeded or failed for good) wakes the next open delivery of the order; the consumer
// queues it at once (src/delivery/record.ts). A second wake finds nothing or moves the chain again.
// Its records are only those that may close a place in an order (closesPlace): most batches have none
// and run no wake at all.
const WAKE_NEXT_IN_ORDER = sqlWakeNextInOrder(
  `(${RECORDS}) AS r
   JOIN deliveries AS d ON d.tenant_id = r.tenant_id AND d.endpoint_id = r.endpoint_id AND d.id = r.id
   JOIN endpoints AS e ON e.id = d.endpoint_id AND e.ordering = 'fifo' AND e.enabled = 1
   WHERE d.fifo_seq IS NOT NULL AND d.status = r.status AND d.queue_token = r.queue_token AND d.last_attempt_at = r.at`,
  "r.at",
);

// A claim only moves forward, and only on the queue chain the batch held, while the delivery is
// open. updated_at moves past created_at, so deliveries_open (the sweeper's watch) holds it.
const DEFER_CLAIMS = `
  UPDATE deliveries SET enqueued_at = max(coalesce(enqueued_at, 0), c.from_at), updated_at = max(c.at, created_at + 1), ${SQL_DUE_IS_PENDING}
  FROM (SELECT value ->> 'tenantId' AS tenant_id, value ->> 'endpointId' AS endpoint_id, value ->> 'deliveryId' AS id,
               value ->> 'queueToken' AS queue_token, value ->> 'from' AS from_at, value ->> 'at' AS at FROM json_each(?)) AS c
  WHERE deliveries.tenant_id = c.tenant_id AND deliveries.endpoint_id = c.endpoint_id AND deliveries.id = c.id
    AND deliveries.queue_token = c.queue_token AND status IN ('scheduled', 'pending', 'retrying')`;

/** What recording a batch's results did: see recordBatchResults. */
export interface RecordedBatch {
  /** The deliveries whose record was live, i.e. whose state it set. */
  live: Set<string>;
  /** The endpoints whose health this write changed (a streak began, a 410 disabled it): each is reported by one batch only. */
  transitions: EndpointTransition[];
  /** The FIFO deliveries this write made the head of their order, each on a new queue chain, to be queued now (WAKE_NEXT_IN_ORDER). */
  woken: WokenDelivery[];
}


/** Whether a record may close a place in a FIFO order: its delivery held one when loaded, and it ends (succeeded, or failed for good). */
const closesPlace = (a: AttemptRecord) => a.inOrder && a.status !== "retrying";

/** The wake of the orders `attempts` may close a place in, or null when they close none: see WAKE_NEXT_IN_ORDER. */
function wakeStatement(db: D1Database, attempts: AttemptRecord[]): D1PreparedStatement | null {
  const closing = attempts.filter(closesPlace).map(({ tenantId, endpointId, deliveryId, queueToken, status, at }) => ({ tenantId, endpointId, deliveryId, queueToken, status, at }));
  return closing.length > 0 ? db.prepare(WAKE_NEXT_IN_ORDER).bind(JSON.stringify(closing)) : null;
}

/**
 * Writes a consumer batch's results in ONE D1 batch: attempts and delivery states (two
 * statements for all attempts, at most one record per delivery), cancellations, endpoint failure
 * streaks (a 410 disables at once) and endpoints' delivery lanes (src/db/endpoint-health.ts), the
 * endpoint stats rollups (one upsert statement, one row per rollup: src/db/endpoint-stats.ts), and
 * the claims of deliveries deferred past them (one statement). Returns the ids of deliveries whose
 * record was live, i.e. whose state it set (the others were replaced, finished by another batch or
 * deleted meanwhile), and the endpoint transitions the write made.
 */
export async function recordBatchResults(
  db: D1Database,
  attempts: AttemptRecord[],
  cancellations: Cancellation[],
  health: EndpointHealth[],
  stats: StatsRollup[] = [],
  deferredClaims: DeferredClaim[] = [],
): Promise<RecordedBatch> {
  const statements: D1PreparedStatement[] = [];
  const liveResults: number[] = [];
  for (const records of attemptChunks(attempts)) {
    liveResults.push(statements.length + 1);
    statements.push(db.prepare(RECORD_STALE_ATTEMPTS).bind(records), db.prepare(APPLY_LIVE_RESULTS).bind(records));
  }
  const wake = wakeStatement(db, attempts);
  const wakeResult = statements.length;
  if (wake) statements.push(wake);
  const statsUpsert = statsStatement(db, stats);
  if (statsUpsert) statements.push(statsUpsert);
  for (const c of cancellations) {
    statements.push(
      db
        .prepare(
          `UPDATE deliveries SET status = 'cancelled', last_error = ?1, next_attempt_at = NULL, updated_at = max(?2, created_at + 1)
           WHERE tenant_id = ?3 AND endpoint_id = ?4 AND id = ?5 AND queue_token = ?6 AND status IN ('scheduled', 'pending', 'retrying')`,
        )
        .bind(c.reason, c.at, c.tenantId, c.endpointId, c.deliveryId, c.queueToken),
    );
  }
  const healthFrom = statements.length;
  statements.push(...endpointHealthStatements(db, health));
  const healthTo = statements.length;
  if (deferredClaims.length > 0) statements.push(db.prepare(DEFER_CLAIMS).bind(JSON.stringify(deferredClaims)));
  if (statements.length === 0) return { live: new Set(), transitions: [], woken: [] };
  const results = await db.batch(statements);
  return {
    live: new Set(liveResults.flatMap((i) => (results[i]!.results as Array<{ id: string }>).map((r) => r.id))),
    transitions: results.slice(healthFrom, healthTo).flatMap((r) => r.results as EndpointTransition[]),
    woken: wake ? (results[wakeResult]!.results as WokenDelivery[]) : [],
  };
}