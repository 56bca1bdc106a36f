import type { DeliveryResult } from "./delivery.ts";
import { BYTES_PER_GB, PRICES, QUEUE_BILLING } from "./prices.ts";
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

/**
 * What one delivered webhook costs in each billed unit, measured by the bench's storage and cost
 * phase: one endpoint per message, delivered on the first attempt. Everything is per delivery.
 */
export interface UnitsPerDelivery {
  /** Billed Workers requests: the enqueue request plus consumer invocations ÷ deliveries. */
  workersRequests: number;
  /** Queue messages sent. Each is written, read and deleted once (QUEUE_BILLING). */
  queueMessages: number;
  /** 64 KB chunks per queue message; the queue carries ids, not payloads, so 1 (QUEUE_BILLING). */
  queueChunksPerMessage: number;
  d1RowsWritten: number;
  d1RowsRead: number;
  /** Bytes the data databases grew by, per delivery. */
  d1Bytes: number;
  kvReads: number;
  /** R2 Class A (put, list) and Class B (get, head) operations. */
  r2ClassA: number;
  r2ClassB: number;
  /** Bytes of R2 objects left behind, per delivery. */
  r2Bytes: number;
}

/**
 * USD per million deliveries, by service. Workers CPU is left out: the local runtime gives no
 * per-invocation CPU time (handler wall time includes waiting on the receiver and the simulated
 * bindings), so no honest figure can be measured here.
 */
export interface CostBreakdown {
  workers_requests: number;
  queues: number;
  d1_rows_written: number;
  d1_rows_read: number;
  d1_storage_30d: number;
  kv_reads: number;
  r2: number;
}

/** Days a message is kept before the sweeper deletes it (wrangler.toml RETENTION_DAYS in production). */
export const RETENTION_DAYS = 30;

const round = (usd: number) => Math.round(usd * 10_000) / 10_000;

/**
 * Dollars per million deliveries at list price, above the monthly allowances (which are per
 * account, not per message: WORKERS_PAID_INCLUDED), following SCALING.md's cost model with d = 1
 * and a = 1. Storage is held for `retentionDays` (default 30) at the GB-month price, GB = 10^9
 * bytes (BYTES_PER_GB). Rows written to expire a message are not included: the bench does not
 * run the retention sweep. Returns the total and each service's share, each rounded to 1/10,000 $.
 */
export function usdPerMillionDeliveries(units: UnitsPerDelivery, retentionDays = RETENTION_DAYS): { total: number; breakdown: CostBreakdown } {
  const million = 1_000_000;
  const months = retentionDays / 30;
  const storage = (bytes: number, perGbMonth: number) => ((bytes * million) / BYTES_PER_GB) * perGbMonth * months;
  const queueOps = units.queueMessages * units.queueChunksPerMessage * QUEUE_BILLING.operationsPerDeliveredChunk;
  const breakdown: CostBreakdown = {
    workers_requests: round(units.workersRequests * PRICES.workers.requestsPerMillion),
    queues: round(queueOps * PRICES.queues.operationsPerMillion),
    d1_rows_written: round(units.d1RowsWritten * PRICES.d1.rowsWrittenPerMillion),
    d1_rows_read: round(units.d1RowsRead * PRICES.d1.rowsReadPerMillion),
    d1_storage_30d: round(storage(units.d1Bytes, PRICES.d1.storagePerGbMonth)),
    kv_reads: round(units.kvReads * PRICES.kv.readsPerMillion),
    r2: round(units.r2ClassA * PRICES.r2.classAPerMillion + units.r2ClassB * PRICES.r2.classBPerMillion + storage(units.r2Bytes, PRICES.r2.storagePerGbMonth)),
  };
  const total = Object.values(breakdown).reduce((sum, usd) => sum + usd, 0);
  return { total: Math.round(total * 1000) / 1000, breakdown };
}
