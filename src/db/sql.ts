/**
 * SQL shared by the statements of the data shards: expressions for values D1 must generate inside
 * a statement (so that fan-out can insert one row per matching endpoint with `INSERT … SELECT` in
 * the same round trip as the message), terms several statements repeat, and the constants those
 * statements share with the delivery stages, kept here so the db layer imports nothing from them.
 */

/** A random RFC 9562 version-4 UUID, lowercase. */
export const SQL_UUID_V4 = `lower(
  hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
  substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;

/**
 * A random 64-bit token, stored as its 8 bytes in `packed_queue_token` (migrations/shard/0014):
 * names the live queue chain of a delivery. Rows read it as `queue_token`, 16 lowercase hex digits
 * (the form queue messages carry), as rows written before that migration stored it.
 */
export const SQL_QUEUE_TOKEN = "randomblob(8)";

/** The SET term that starts a new queue chain for a delivery (see SQL_QUEUE_TOKEN). */
export const SQL_NEW_QUEUE_TOKEN = `packed_queue_token = ${SQL_QUEUE_TOKEN}`;

/** A scheduled delivery a batch holds is due: from here it is pending like any other (a SET term). */
export const SQL_DUE_IS_PENDING = "status = CASE status WHEN 'scheduled' THEN 'pending' ELSE status END";

/** A message arriving this early (ms) for its next attempt is still "on time" (src/delivery/plan.ts). */
export const EARLY_TOLERANCE_MS = 1_000;

/**
 * SQL: the open deliveries `h` ahead of delivery `d` (a table name or alias) in its FIFO order (same
 * endpoint and ordering key, an earlier place), as a FROM and WHERE seeking deliveries_in_order (its
 * WHERE repeated so SQLite uses it).
 */
export const sqlAheadInOrder = (d: string) => `deliveries AS h
  WHERE h.tenant_id = ${d}.tenant_id AND h.endpoint_id = ${d}.endpoint_id AND h.ordering_key = ${d}.ordering_key
    AND h.fifo_seq IS NOT NULL AND h.status IN ('scheduled', 'pending', 'retrying') AND h.fifo_seq < ${d}.fifo_seq`;

/** A delivery woken as the new head of its FIFO order, and the token of its new queue chain (sqlWakeNextInOrder). */
export interface WokenDelivery {
  tenant_id: string;
  endpoint_id: string;
  delivery_id: string;
  token: string;
}

/**
 * SQL: the wake of FIFO orders (src/delivery/fifo.ts). For each delivery `d` whose place in its order
 * just closed (`closed`: a FROM and WHERE naming it `d`, its order's endpoint `e` checked FIFO and
 * enabled), the next open delivery of its order, if it is due by `at` (epoch ms, an SQL expression
 * over `closed`) and nothing is left ahead of it, becomes the holder of a new queue chain, claimed
 * from `at`: the caller queues it at once. The new token makes that delivery's held message stale
 * (acked unsent when it comes back), so the wake is its only live message. The caller runs it in the
 * same D1 batch as whatever closed the place, so no consumer batch can have loaded the next delivery
 * as a head on its old chain. Returns (RETURNING) tenant_id, endpoint_id, delivery_id, token.
 */
export const sqlWakeNextInOrder = (closed: string, at: string) => `
  WITH w AS MATERIALIZED (
    SELECT d.tenant_id, d.endpoint_id, ${at} AS at,
           (SELECT n.id FROM deliveries AS n
            WHERE n.tenant_id = d.tenant_id AND n.endpoint_id = d.endpoint_id AND n.ordering_key = d.ordering_key
              AND n.fifo_seq IS NOT NULL AND n.status IN ('scheduled', 'pending', 'retrying') AND n.fifo_seq > d.fifo_seq
            ORDER BY n.fifo_seq LIMIT 1) AS id
    FROM ${closed})
  UPDATE deliveries SET ${SQL_NEW_QUEUE_TOKEN}, enqueued_at = w.at, updated_at = max(w.at, created_at + 1), ${SQL_DUE_IS_PENDING}
  FROM w
  WHERE deliveries.tenant_id = w.tenant_id AND deliveries.endpoint_id = w.endpoint_id AND deliveries.id = w.id
    AND coalesce(deliveries.next_attempt_at, 0) <= w.at
    AND NOT EXISTS (SELECT 1 FROM ${sqlAheadInOrder("deliveries")})
  RETURNING tenant_id, endpoint_id, id AS delivery_id, queue_token AS token`;
