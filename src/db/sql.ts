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
