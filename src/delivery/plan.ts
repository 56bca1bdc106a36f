import type { DeliveryWork } from "../db/delivery-work";
import { EARLY_TOLERANCE_MS } from "../db/sql";
import { hopSeconds } from "./backoff";
import { holdSeconds, isHeld } from "./fifo";
import { jobOf, type DeliveryJob } from "./jobs";
import type { Lane } from "./lanes";
import type { DeliveryTask } from "./task";

/**
 * The plan stage (pure): what to do with each delivery of a batch given its row, before anything
 * is sent. A delivery whose row says it is done, superseded or not yet due is settled from here,
 * as is one held behind the head of its FIFO order; only "send" reaches the dispatch stage.
 */

/** The statuses of a delivery still to be attempted: a scheduled one is pending with a due time. */
const OPEN = new Set(["scheduled", "pending", "retrying"]);

export type Plan =
  | { kind: "ack" }
  | { kind: "unavailable" }
  | { kind: "wait"; seconds: number }
  | { kind: "cancel"; reason: string }
  | { kind: "forward"; job: DeliveryJob }
  /** A FIFO delivery behind the head of its order: it comes back after `seconds`, no attempt counted (src/delivery/fifo.ts). */
  | { kind: "hold"; seconds: number; job: DeliveryJob }
  | { kind: "send"; job: DeliveryJob };

/**
 * Decides what to do with one queue message given the delivery's row and the lane the batch
 * belongs to: the main lane forwards a due delivery of a slow-lane endpoint.
 */
export function plan(task: DeliveryTask | null, work: DeliveryWork | undefined, now: number, lane: Lane): Plan {
  if (!task || !work) return { kind: "ack" }; // malformed, or the delivery was purged
  if (work.queue_token !== task.token) return { kind: "ack" }; // superseded by a replay or sweep
  if (!OPEN.has(work.status)) return { kind: "ack" }; // already final
  if (work.endpoint_id !== "" && !work.endpoint_exists) return { kind: "cancel", reason: "Endpoint was deleted" };
  if (work.next_attempt_at !== null && work.next_attempt_at > now + EARLY_TOLERANCE_MS) {
    // A wait longer than Queues' 12 h limit (a retry's, or a scheduled message's) arrives in hops; this is one of them.
    // A disabled endpoint is judged when the delivery is due, not at a hop: it may be enabled again by then.
    return { kind: "wait", seconds: hopSeconds(work.next_attempt_at, now) };
  }
  if (work.endpoint_id !== "" && !work.endpoint_enabled) return { kind: "cancel", reason: "Endpoint is disabled" };
  if (isHeld(work)) return { kind: "hold", seconds: holdSeconds(work, now), job: jobOf(work) };
  if (lane === "main" && work.endpoint_slow_since !== null) return { kind: "forward", job: jobOf(work) };
  return { kind: "send", job: jobOf(work) };
}

/**
 * Plans every message of a batch. Of several messages for one delivery (an at-least-once duplicate,
 * or replays in quick succession) only one is acted on: the one carrying the row's live token, so
 * a stale message never stands in for the live one. The others are acked.
 */
export function planBatch(tasks: Array<DeliveryTask | null>, rows: Map<string, DeliveryWork>, now: number, lane: Lane): Plan[] {
  const chosen = new Map<string, number>();
  tasks.forEach((task, index) => {
    if (!task) return;
    const current = chosen.get(task.delivery_id);
    const live = rows.get(task.delivery_id)?.queue_token;
    if (current === undefined || (task.token === live && tasks[current]!.token !== live)) chosen.set(task.delivery_id, index);
  });
  return tasks.map((task, index) => {
    if (task && chosen.get(task.delivery_id) !== index) return { kind: "ack" };
    return plan(task, task ? rows.get(task.delivery_id) : undefined, now, lane);
  });
}
