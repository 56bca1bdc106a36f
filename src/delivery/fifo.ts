import type { DeliveryWork } from "../db/delivery-work";
import { hopSeconds, MAX_QUEUE_DELAY_SECONDS } from "./backoff";

/**
 * FIFO endpoints (pure): a delivery to a FIFO endpoint is sent only while it is the head of its order
 * (endpoint and ordering key), the earliest of the order's open deliveries. Any other waits, with no
 * attempt counted, and comes back after holdSeconds.
 *
 * Invariant: at most one delivery of an order is being attempted at a time, and never one before an
 * earlier one has its final outcome (succeeded, failed for good, or cancelled). It rests on the data
 * shard: the head is read in the consumer batch's one D1 read (src/db/delivery-work.ts), a delivery
 * stays open until its outcome is recorded, and every place in an order is assigned inside the
 * enqueue's D1 write (src/db/message-batch.ts), which D1 runs one at a time. No other coordinator
 * (no Durable Object) is needed: docs/architecture.md ("Ordering") gives the reasons and the costs.
 */

/**
 * How soon (seconds) a held delivery asks again, per place it is behind its head, while the head is due
 * or in flight. The head's recorded outcome wakes the next delivery at once (src/db/batch-records.ts,
 * WAKE_NEXT_IN_ORDER), so this poll is only the safety net for outcomes that wake nothing (a replay,
 * a cancellation, a wake the queue refused goes to the sweeper instead).
 */
export const HOLD_POLL_SECONDS = 2;
/** The longest such a poll waits (seconds), however far behind: bounds how long a lost wake delays an order. */
export const HOLD_POLL_MAX_SECONDS = 60;

/** What the consumer knows of a held delivery's head. */
export type Head = Pick<DeliveryWork, "head_id" | "head_next_attempt_at" | "head_distance">;

/** Whether a delivery must wait for the head of its order (it is on a FIFO endpoint and not the head). */
export function isHeld(work: Head): boolean {
  return work.head_id !== null;
}

/**
 * How long (seconds) a held delivery waits before it asks again at `now` (epoch ms): until its head's
 * next attempt is due plus HOLD_POLL_SECONDS (the time for that attempt to be made and recorded). When
 * the head is due now or in flight, HOLD_POLL_SECONDS per place behind the head, at most
 * HOLD_POLL_MAX_SECONDS: the wake moves the next delivery, and one further back has that many heads to
 * wait for, so a backlog of N no longer costs ~N²/2 polls. At most one queue hop (12 h).
 */
export function holdSeconds(head: Head, now: number): number {
  const untilDue = hopSeconds(head.head_next_attempt_at, now);
  if (untilDue > 0) return Math.min(untilDue + HOLD_POLL_SECONDS, MAX_QUEUE_DELAY_SECONDS);
  return Math.min(HOLD_POLL_SECONDS * Math.max(1, head.head_distance ?? 1), HOLD_POLL_MAX_SECONDS);
}
