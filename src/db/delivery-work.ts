import { sqlMessageKeyOf } from "../lib/ids";
import { runsOf } from "./chunks";
import { SQL_DUE_IS_PENDING, sqlAheadInOrder } from "./sql";

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
  /**
   * The delivery's place in its FIFO order (src/delivery/fifo.ts), or null outside any order: its
   * endpoint was not FIFO when it was enqueued, or it was replayed once finished. A place is never
   * given later.
   */
  fifo_seq: number | null;
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
  /**
   * How far behind the head this delivery's place is (difference of fifo_seq); null with no head.
   * An upper bound on the deliveries ahead: places of replayed or finished deliveries leave gaps.
   */
  head_distance: number | null;
}

/** A delivery's primary key, as a queue message carries it. */
export interface DeliveryRef {
  tenant_id: string;
  endpoint_id: string;
  delivery_id: string;
}

/**
 * The head of a FIFO delivery `d`'s order, joined as `head`: the earliest open delivery of the same
 * endpoint and ordering key, found by one seek of deliveries_in_order (which holds its id) and read
 * by its primary key. No row for a delivery outside any order (nothing is sought for it), to an
 * endpoint no longer FIFO, or at the head itself.
 */
const JOIN_HEAD = `LEFT JOIN deliveries AS head ON head.tenant_id = d.tenant_id AND head.endpoint_id = d.endpoint_id
  AND head.id = CASE WHEN d.fifo_seq IS NOT NULL AND e.ordering = 'fifo' THEN (SELECT h.id FROM ${sqlAheadInOrder("d")} ORDER BY h.fifo_seq LIMIT 1) END`;

/**
 * Most deliveries one load query reads: each costs ~5 D1 rows read (its row, its message's, its
 * endpoint's by the id index and row), a FIFO delivery 7 (two seeks more: its head's id, then the
 * head's row), so a query of FIFO deliveries reads ≤ 245 rows (issue 25: ≤ 250; 50 of them read 350,
 * test/reads-at-volume.test.ts) and a full consumer batch (100, the Queues maximum) takes three.
 */
const LOAD_CHUNK = 35;

/**
 * Loads a consumer batch, every row by primary key (the keys travel as one JSON parameter), with
 * the head of each FIFO delivery's order (two seeks per FIFO delivery, none for others):
 * one query per LOAD_CHUNK deliveries, all in one D1 `batch()`: one round trip, and one snapshot of the shard.
 */
export async function loadDeliveryWork(db: D1Database, refs: DeliveryRef[]): Promise<Map<string, DeliveryWork>> {
  const runs = runsOf(refs, LOAD_CHUNK);
  if (runs.length === 0) return new Map();
  const loaded = await db.batch<DeliveryWork>(runs.map((run) => loadStatement(db, run)));
  return new Map(loaded.flatMap((r) => r.results).map((r) => [r.id, r]));
}

function loadStatement(db: D1Database, refs: DeliveryRef[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT d.id, d.tenant_id, m.id AS message_id, d.endpoint_id, CASE WHEN d.endpoint_id = '' THEN m.webhook_url END AS url,
              d.status, d.attempts, d.attempt_base, d.queue_token, d.enqueued_at, d.next_attempt_at, d.last_attempt_at, d.fifo_seq,
              m.payload, m.payload_r2,
              e.enabled IS NOT NULL AS endpoint_exists, e.url AS endpoint_url, e.enabled AS endpoint_enabled,
              e.headers AS endpoint_headers, e.signature AS endpoint_signature, e.retry AS endpoint_retry,
              e.timeout_ms AS endpoint_timeout_ms, e.rate_limit AS endpoint_rate_limit, e.max_in_flight AS endpoint_max_in_flight,
              e.slow_since AS endpoint_slow_since, e.secret_version AS endpoint_secret_version, e.created_at AS endpoint_created_at,
              t.secret_version AS tenant_secret_version,
              head.id AS head_id, head.next_attempt_at AS head_next_attempt_at, d.fifo_seq - head.fifo_seq AS head_distance
       FROM json_each(?) AS k
       JOIN deliveries AS d ON d.tenant_id = k.value ->> 'tenant_id' AND d.endpoint_id = k.value ->> 'endpoint_id' AND d.id = k.value ->> 'delivery_id'
       JOIN messages AS m ON m.key = ${sqlMessageKeyOf("d.id")} AND m.tenant_id = d.tenant_id
       LEFT JOIN endpoints AS e ON e.id = d.endpoint_id AND d.endpoint_id <> ''
       LEFT JOIN tenants AS t ON t.id = d.tenant_id AND d.endpoint_id = ''
       ${JOIN_HEAD}`,
    )
    .bind(JSON.stringify(refs));
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
      `UPDATE deliveries SET enqueued_at = ?2, updated_at = max(?2, created_at + 1), ${SQL_DUE_IS_PENDING}
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
