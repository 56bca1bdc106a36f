import { compressText } from "../lib/compression";
import { sqlMessageKeyOf } from "../lib/ids";
import type { AttemptOutcome, DeliveryStatus } from "../schemas/messages";
import type { StatsRollup } from "../lib/endpoint-stats";
import { endpointHealthStatements, type EndpointHealth, type EndpointTransition } from "./endpoint-health";
import { statsStatement } from "./endpoint-stats";

export type { EndpointHealth } from "./endpoint-health";

/** One delivery joined with its message and (if any) endpoint: all the consumer needs to send it. */
export interface DeliveryWork {
  id: string;
  tenant_id: string;
  message_id: string;
  /** "" for a one-off webhook_url delivery. */
  endpoint_id: string;
  url: string | null;
  status: string;
  attempts: number;
  attempt_base: number;
  queue_token: string;
  enqueued_at: number | null;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  /** The message's compressed payload (null when in R2: payload_r2 = 1); src/payloads.ts reads it. */
  payload: number[] | null;
  payload_r2: number;
  /** Endpoint columns; null when the delivery is one-off or the endpoint was deleted. */
  endpoint_exists: number | null;
  endpoint_url: string | null;
  endpoint_enabled: number | null;
  endpoint_headers: string | null;
  endpoint_signature: string | null;
  endpoint_retry: string | null;
  endpoint_timeout_ms: number | null;
  /** JSON `{per_second, burst?}`, or null (src/delivery/endpoint-gate.ts). */
  endpoint_rate_limit: string | null;
  endpoint_max_in_flight: number | null;
  /** Since when (epoch ms) the endpoint is in the slow delivery lane, or null (src/delivery/lanes.ts). */
  endpoint_slow_since: number | null;
  /** The version of the endpoint's secret set deliveries sign with (src/secrets.ts); 0 until its first rotation. */
  endpoint_secret_version: number | null;
  /** When (epoch ms) the endpoint was created. */
  endpoint_created_at: number | null;
  /** The version of the tenant's own secret set, which signs a one-off delivery (src/secrets.ts); null for an endpoint's delivery. */
  tenant_secret_version: number | null;
  /**
   * On a FIFO endpoint, the head of this delivery's order when it is not this delivery: the earliest
   * open delivery of the same endpoint and ordering key (src/delivery/fifo.ts). Null otherwise.
   */
  head_id: string | null;
  /** When the head is due for its next attempt (epoch ms), or null when it is due now or in flight. */
  head_next_attempt_at: number | null;
}

/** A delivery's primary key, as a queue message carries it. */
export interface DeliveryRef {
  tenant_id: string;
  endpoint_id: string;
  delivery_id: string;
}

/**
 * The head of a FIFO delivery's order (`column` of it): the earliest open delivery of the same
 * endpoint and ordering key, one seek of deliveries_in_order (its WHERE repeated so SQLite uses it).
 * Null for a delivery outside any order, to an endpoint no longer FIFO, or at the head itself.
 */
const headOf = (column: string) => `CASE WHEN d.fifo_seq IS NOT NULL AND e.ordering = 'fifo' THEN (
  SELECT h.${column} FROM deliveries AS h
  WHERE h.tenant_id = d.tenant_id AND h.endpoint_id = d.endpoint_id AND h.ordering_key = d.ordering_key
    AND h.fifo_seq IS NOT NULL AND h.status IN ('scheduled', 'pending', 'retrying') AND h.fifo_seq < d.fifo_seq
  ORDER BY h.fifo_seq LIMIT 1) END`;

/**
 * Loads a whole consumer batch in one query, every row by primary key (the keys travel as one JSON
 * parameter), with the head of each FIFO delivery's order (two index seeks per FIFO delivery, none for others).
 */
export async function loadDeliveryWork(db: D1Database, refs: DeliveryRef[]): Promise<Map<string, DeliveryWork>> {
  const { results } = await db
    .prepare(
      `SELECT d.id, d.tenant_id, m.id AS message_id, d.endpoint_id, CASE WHEN d.endpoint_id = '' THEN m.webhook_url END AS url,
              d.status, d.attempts, d.attempt_base, d.queue_token, d.enqueued_at, d.next_attempt_at, d.last_attempt_at,
              m.payload, m.payload_r2,
              e.enabled IS NOT NULL AS endpoint_exists, e.url AS endpoint_url, e.enabled AS endpoint_enabled,
              e.headers AS endpoint_headers, e.signature AS endpoint_signature, e.retry AS endpoint_retry,
              e.timeout_ms AS endpoint_timeout_ms, e.rate_limit AS endpoint_rate_limit, e.max_in_flight AS endpoint_max_in_flight,
              e.slow_since AS endpoint_slow_since, e.secret_version AS endpoint_secret_version, e.created_at AS endpoint_created_at,
              t.secret_version AS tenant_secret_version,
              ${headOf("id")} AS head_id, ${headOf("next_attempt_at")} AS head_next_attempt_at
       FROM json_each(?) AS k
       JOIN deliveries AS d ON d.tenant_id = k.value ->> 'tenant_id' AND d.endpoint_id = k.value ->> 'endpoint_id' AND d.id = k.value ->> 'delivery_id'
       JOIN messages AS m ON m.key = ${sqlMessageKeyOf("d.id")} AND m.tenant_id = d.tenant_id
       LEFT JOIN endpoints AS e ON e.id = d.endpoint_id AND d.endpoint_id <> ''
       LEFT JOIN tenants AS t ON t.id = d.tenant_id AND d.endpoint_id = ''`,
    )
    .bind(JSON.stringify(refs))
    .all<DeliveryWork>();
  return new Map(results.map((r) => [r.id, r]));
}

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
  for (const { responseBody, ...a } of attempts) {
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

// A scheduled delivery a batch holds is due: from here it is pending like any other.
const DUE_IS_PENDING = "status = CASE status WHEN 'scheduled' THEN 'pending' ELSE status END";

// A claim only moves forward, and only on the queue chain the batch held, while the delivery is
// open. updated_at moves past created_at, so deliveries_open (the sweeper's watch) holds it.
const DEFER_CLAIMS = `
  UPDATE deliveries SET enqueued_at = max(coalesce(enqueued_at, 0), c.from_at), updated_at = max(c.at, created_at + 1), ${DUE_IS_PENDING}
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
  if (statements.length === 0) return { live: new Set(), transitions: [] };
  const results = await db.batch(statements);
  return {
    live: new Set(liveResults.flatMap((i) => (results[i]!.results as Array<{ id: string }>).map((r) => r.id))),
    transitions: results.slice(healthFrom, healthTo).flatMap((r) => r.results as EndpointTransition[]),
  };
}

/**
 * Renews the claim of deliveries a batch is about to send whose claim would lapse before the batch
 * could end (see src/delivery/claim.ts): their claim now begins at `now` (epoch ms). Returns the ids
 * the batch still holds; a delivery whose queue chain was replaced or that finished meanwhile is not
 * among them and must not be sent.
 */
export async function renewClaims(db: D1Database, claims: Array<DeliveryRef & { queue_token: string }>, now: number): Promise<Set<string>> {
  const { results } = await db
    .prepare(
      `UPDATE deliveries SET enqueued_at = ?2, updated_at = max(?2, created_at + 1), ${DUE_IS_PENDING}
       FROM (SELECT value ->> 'tenant_id' AS tenant_id, value ->> 'endpoint_id' AS endpoint_id, value ->> 'delivery_id' AS id,
                    value ->> 'queue_token' AS queue_token FROM json_each(?1)) AS c
       WHERE deliveries.tenant_id = c.tenant_id AND deliveries.endpoint_id = c.endpoint_id AND deliveries.id = c.id
         AND deliveries.queue_token = c.queue_token AND status IN ('scheduled', 'pending', 'retrying')
       RETURNING id`,
    )
    .bind(JSON.stringify(claims), now)
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}
