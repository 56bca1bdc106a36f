/**
 * The SQL of an endpoint's health as a consumer batch moves it: failure streaks (auto-disable reads
 * them), the 410 that disables at once, and the delivery lane (src/delivery/lanes.ts). Each
 * statement that makes a transition returns the endpoint it moved, so only the one batch whose
 * write made the transition learns of it (src/ops/operational-events.ts turns those into events).
 */

/** How an endpoint's health moved during one consumer batch. */
export interface EndpointHealth {
  endpointId: string;
  succeeded: boolean;
  failedAt: number | null;
  gone: boolean;
  /** What the batch's requests said about the receiver's pace (src/delivery/lanes.ts): "slow" wins. */
  pace: "slow" | "quick" | null;
  /** When the batch learned it (epoch ms). */
  paceAt: number;
  /** The URL the batch sent to: the pace moves the lane only while the endpoint still has it. */
  url: string | null;
}

/** An endpoint whose state a batch's write changed: its failure streak began, or a 410 disabled it. */
export interface EndpointTransition {
  kind: "failing" | "gone";
  endpoint_id: string;
  tenant_id: string;
}

/**
 * How a batch moves an endpoint's lane, with its pace ("slow", "quick" or null) bound as ?4, the
 * time the batch learned it as ?5 and the URL it sent to as ?6: LANE_VALUE is the new slow_since,
 * LANE_CHANGES is true when that differs from the old. An endpoint whose URL changed meanwhile keeps
 * its lane: the new receiver starts in the slow lane whatever the old one said.
 */
const LANE_VALUE =
  "CASE WHEN url IS NOT ?6 THEN slow_since WHEN ?4 = 'slow' THEN coalesce(slow_since, ?5) WHEN ?4 = 'quick' THEN NULL ELSE slow_since END";
const LANE_CHANGES = "(url IS ?6 AND ((?4 = 'slow' AND slow_since IS NULL) OR (?4 = 'quick' AND slow_since IS NOT NULL)))";

/**
 * The statements that record `health`, to run in the batch's one D1 batch, in order. The lane rides
 * on the streak's statements, and each endpoint gets at most one row write, none when neither its
 * streak nor its lane changes:
 * - a 410 disables an enabled endpoint (returning it: a transition); on one disabled already only
 *   the lane may move;
 * - a success ends the streak, writing only when one was running or the lane moves;
 * - a failure begins a streak where none runs (returning the endpoint: a transition), or else moves
 *   the streak's last failure on. Both ends are kept: the sweeper needs evidence that failures span
 *   its window. The second statement of a pair finds nothing left to change once the first wrote.
 */
export function endpointHealthStatements(db: D1Database, health: EndpointHealth[]): D1PreparedStatement[] {
  return health.flatMap((h): D1PreparedStatement[] => {
    const lane = [h.pace, h.paceAt, h.url];
    if (h.gone) {
      return [
        db
          .prepare(
            `UPDATE endpoints SET enabled = 0, disabled_reason = ?1, updated_at = ?2, slow_since = ${LANE_VALUE} WHERE id = ?3 AND enabled = 1
             RETURNING 'gone' AS kind, id AS endpoint_id, tenant_id`,
          )
          .bind("Receiver answered 410 Gone", h.failedAt, h.endpointId, ...lane),
        db.prepare(`UPDATE endpoints SET slow_since = ${LANE_VALUE} WHERE id = ?3 AND ${LANE_CHANGES}`).bind(null, null, h.endpointId, ...lane),
      ];
    }
    if (h.succeeded) {
      return [
        db
          .prepare(
            `UPDATE endpoints SET failing_since = NULL, last_failed_at = NULL, slow_since = ${LANE_VALUE}
             WHERE id = ?3 AND (failing_since IS NOT NULL OR ${LANE_CHANGES})`,
          )
          .bind(null, null, h.endpointId, ...lane),
      ];
    }
    if (h.failedAt === null) return [];
    return [
      db
        .prepare(
          `UPDATE endpoints SET failing_since = ?1, last_failed_at = ?1, slow_since = ${LANE_VALUE} WHERE id = ?3 AND failing_since IS NULL
           RETURNING 'failing' AS kind, id AS endpoint_id, tenant_id`,
        )
        .bind(h.failedAt, null, h.endpointId, ...lane),
      db
        .prepare(
          `UPDATE endpoints SET last_failed_at = max(coalesce(last_failed_at, ?1), ?1), slow_since = ${LANE_VALUE}
           WHERE id = ?3 AND failing_since IS NOT NULL AND (coalesce(last_failed_at, 0) < ?1 OR ${LANE_CHANGES})`,
        )
        .bind(h.failedAt, null, h.endpointId, ...lane),
    ];
  });
}
