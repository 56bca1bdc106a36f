import type { DeliveryResult } from "./delivery.ts";
import { ratio } from "./stats.ts";

/** Sends a consumer keeps in flight (src/delivery/consumer.ts). */
const SEND_CONCURRENCY = 6;

/** D1, KV and queue work per enqueued message, per delivered webhook and per consumer batch. */
export interface Cost {
  perEnqueue: { d1RoundTrips: number | null; d1Statements: number | null; d1RowsRead: number | null; d1RowsWritten: number | null; kvReads: number | null; queueCalls: number | null; queueMessages: number | null };
  perDelivery: { d1RoundTrips: number | null; d1Statements: number | null; d1RowsRead: number | null; d1RowsWritten: number | null; kvReads: number | null; queueCalls: number | null };
  perConsumerBatch: { batches: number; messagesPerBatch: number | null; d1RoundTrips: number | null; d1Statements: number | null };
  /** Milliseconds, on average, per enqueue request and per consumer batch, and how much of it waited on each binding. */
  time: {
    enqueue: { handlerMs: number | null; d1Ms: number | null; queueMs: number | null };
    consumerBatch: { handlerMs: number | null; d1Ms: number | null; kvMs: number | null; otherMs: number | null };
    /**
     * Wall time of one send, derived: the rest of a batch's time spread over its messages, six in
     * flight (SEND_CONCURRENCY). One consumer batch runs at a time locally, so 6000 ÷ this is the
     * delivery rate the consumer could keep up under the phase's conditions.
     */
    perSendMs: number | null;
  };
}

/** Turns the delivery phase's counter deltas into cost ratios. */
export function costOf(delivery: DeliveryResult, delivered: number): Cost {
  const { api, consumer } = delivery.counters;
  // Every API request of phase 2 is an enqueue, including any the load generator cut off at its
  // time cap (stored all the same), so requests, not 202s, are the denominator.
  const perEnqueue = (n: number) => ratio(n, api.invocations, 3);
  const perDelivery = (n: number) => ratio(n, delivered, 3);
  const perBatch = (n: number) => ratio(n, consumer.invocations, 1);
  return {
    perEnqueue: {
      d1RoundTrips: perEnqueue(api.d1RoundTrips),
      d1Statements: perEnqueue(api.d1Statements),
      d1RowsRead: perEnqueue(api.d1RowsRead),
      d1RowsWritten: perEnqueue(api.d1RowsWritten),
      kvReads: perEnqueue(api.kvReads),
      queueCalls: perEnqueue(api.queueCalls),
      queueMessages: perEnqueue(api.queueMessages),
    },
    perDelivery: {
      d1RoundTrips: perDelivery(consumer.d1RoundTrips),
      d1Statements: perDelivery(consumer.d1Statements),
      d1RowsRead: perDelivery(consumer.d1RowsRead),
      d1RowsWritten: perDelivery(consumer.d1RowsWritten),
      kvReads: perDelivery(consumer.kvReads),
      queueCalls: perDelivery(consumer.queueCalls),
    },
    perConsumerBatch: {
      batches: consumer.invocations,
      messagesPerBatch: perBatch(consumer.messagesIn),
      d1RoundTrips: perBatch(consumer.d1RoundTrips),
      d1Statements: perBatch(consumer.d1Statements),
    },
    time: {
      enqueue: { handlerMs: ratio(api.handlerMs, api.invocations, 1), d1Ms: ratio(api.d1Ms, api.invocations, 1), queueMs: ratio(api.queueMs, api.invocations, 1) },
      consumerBatch: {
        handlerMs: perBatch(consumer.handlerMs),
        d1Ms: perBatch(consumer.d1Ms),
        kvMs: perBatch(consumer.kvMs),
        otherMs: perBatch(consumer.handlerMs - consumer.d1Ms - consumer.kvMs),
      },
      perSendMs: ratio((consumer.handlerMs - consumer.d1Ms - consumer.kvMs) * SEND_CONCURRENCY, consumer.messagesIn, 1),
    },
  };
}
