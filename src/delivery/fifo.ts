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

/** How soon a held delivery asks again while its head is due or in flight: its result is usually recorded by then. */
export const HOLD_POLL_SECONDS = 2;

/** What the consumer knows of a held delivery's head. */
export type Head = Pick<DeliveryWork, "head_id" | "head_next_attempt_at">;

/** Whether a delivery must wait for the head of its order (it is on a FIFO endpoint and not the head). */
export function isHeld(work: Head): boolean {
  return work.head_id !== null;
}

/**
 * How long (seconds) a held delivery waits before it asks again at `now` (epoch ms): until its head's
 * next attempt is due plus HOLD_POLL_SECONDS (the time for that attempt to be made and recorded), or
 * HOLD_POLL_SECONDS when the head is due now or in flight. At most one queue hop (12 h).
 */
export function holdSeconds(head: Head, now: number): number {
  return Math.min(hopSeconds(head.head_next_attempt_at, now) + HOLD_POLL_SECONDS, MAX_QUEUE_DELAY_SECONDS);
}
