import { describe, expect, it } from "vitest";
import { usdPerMillionDeliveries, type UnitsPerDelivery } from "../../bench/lib/cost.ts";
import type { Counters, HandlerKind } from "../../bench/instrument.ts";
import { storageFiguresOf, type StoragePhase } from "../../bench/lib/storage.ts";
import type { StorageReport } from "../../bench/storage.ts";

const NONE: UnitsPerDelivery = {
  workersRequests: 0,
  queueMessages: 0,
  queueChunksPerMessage: 1,
  d1RowsWritten: 0,
  d1RowsRead: 0,
  d1Bytes: 0,
  kvReads: 0,
  r2ClassA: 0,
  r2ClassB: 0,
  r2Bytes: 0,
};

describe("USD per million deliveries", () => {
  it("prices each measured unit at its list price per million", () => {
    const { breakdown } = usdPerMillionDeliveries({ ...NONE, workersRequests: 1.01, d1RowsWritten: 3, d1RowsRead: 12, kvReads: 0.002 });
    expect(breakdown.workers_requests).toBeCloseTo(0.303, 4);
    expect(breakdown.d1_rows_written).toBe(3);
    expect(breakdown.d1_rows_read).toBeCloseTo(0.012, 4);
    expect(breakdown.kv_reads).toBeCloseTo(0.001, 4);
  });

  it("counts three queue operations (write, read, delete) per 64 KB chunk of each queue message", () => {
    expect(usdPerMillionDeliveries({ ...NONE, queueMessages: 1 }).breakdown.queues).toBeCloseTo(1.2, 4);
    expect(usdPerMillionDeliveries({ ...NONE, queueMessages: 1, queueChunksPerMessage: 2 }).breakdown.queues).toBeCloseTo(2.4, 4);
  });

  it("holds D1 bytes for 30 days at $0.75 per GB-month, GB = 10^9 bytes", () => {
    // A million messages of 1,500 bytes are 1.5 GB: $1.125 for one month.
    expect(usdPerMillionDeliveries({ ...NONE, d1Bytes: 1500 }).breakdown.d1_storage_30d).toBeCloseTo(1.125, 4);
    expect(usdPerMillionDeliveries({ ...NONE, d1Bytes: 1500 }, 7).breakdown.d1_storage_30d).toBeCloseTo(0.2625, 4);
  });

  it("prices R2 puts as Class A, gets as Class B and stored bytes at R2's GB-month price", () => {
    const { breakdown } = usdPerMillionDeliveries({ ...NONE, r2ClassA: 1, r2ClassB: 1, r2Bytes: 10_000 });
    expect(breakdown.r2).toBeCloseTo(4.5 + 0.36 + 0.15, 4);
  });

  it("totals the services", () => {
    const { total, breakdown } = usdPerMillionDeliveries({ ...NONE, workersRequests: 1, queueMessages: 1, d1RowsWritten: 2, d1Bytes: 1000 });
    expect(total).toBeCloseTo(0.3 + 1.2 + 2 + 0.75, 3);
    expect(total).toBeCloseTo(Object.values(breakdown).reduce((a, b) => a + b, 0), 3);
  });
});

const counters = (values: Partial<Counters>): Counters => ({
  invocations: 0, inFlight: 0, messagesIn: 0, d1RoundTrips: 0, d1Statements: 0, d1RowsRead: 0, d1RowsWritten: 0, d1StatsRowsWritten: 0, kvReads: 0, kvWrites: 0,
  r2Writes: 0, r2Reads: 0, r2Deletes: 0, queueCalls: 0, queueMessages: 0, d1Ms: 0, kvMs: 0, queueMs: 0, handlerMs: 0, ...values,
});

function phase(before: StorageReport, after: StorageReport, delivered = 100, byKind: Partial<Record<HandlerKind, Partial<Counters>>> = {}): StoragePhase {
  return {
    accepted: [],
    drained: true,
    deliveredFirstAttempt: delivered,
    payloadBytes: 4000,
    counters: { api: counters(byKind.api ?? {}), consumer: counters(byKind.consumer ?? {}), deadLetters: counters({}), sweeper: counters({}) },
    before,
    after,
  };
}

describe("storage figures from the databases before and after", () => {
  it("with shards, divides the shards' growth by the messages they gained and leaves the control database out", () => {
    const before: StorageReport = {
      databases: [{ binding: "DB", bytes: 100_000, messages: null }, { binding: "SHARD_0", bytes: 50_000, messages: 0 }, { binding: "SHARD_1", bytes: 50_000, messages: 0 }],
      payloads: null,
    };
    const after: StorageReport = {
      databases: [{ binding: "DB", bytes: 104_096, messages: null }, { binding: "SHARD_0", bytes: 110_000, messages: 60 }, { binding: "SHARD_1", bytes: 90_000, messages: 40 }],
      payloads: null,
    };
    const { storage, shards } = storageFiguresOf(phase(before, after));
    expect(storage.d1_bytes_per_message).toBe(1000);
    expect(storage.databases.find((d) => d.binding === "DB")).toMatchObject({ data: false, bytes_delta: 4096 });
    expect(shards).toEqual({ count: 2, messages: [60, 40] });
  });

  it("without shards, counts DB as the one data database", () => {
    const before: StorageReport = { databases: [{ binding: "DB", bytes: 100_000, messages: 10 }], payloads: null };
    const after: StorageReport = { databases: [{ binding: "DB", bytes: 300_000, messages: 110 }], payloads: null };
    const { storage, shards } = storageFiguresOf(phase(before, after));
    expect(storage.d1_bytes_per_message).toBe(2000);
    expect(storage.r2_objects_per_message).toBe(0);
    expect(shards).toEqual({ count: 1, messages: [110] });
  });

  it("counts R2 objects per message and rows written by the API and the consumer per delivery", () => {
    const before: StorageReport = { databases: [{ binding: "DB", bytes: 0, messages: 0 }], payloads: { objects: 5, bytes: 0 } };
    const after: StorageReport = { databases: [{ binding: "DB", bytes: 0, messages: 100 }], payloads: { objects: 55, bytes: 200_000 } };
    const { storage, cost } = storageFiguresOf(phase(before, after, 100, { api: { d1RowsWritten: 200, invocations: 100 }, consumer: { d1RowsWritten: 100, invocations: 1 } }));
    expect(storage.r2_objects_per_message).toBe(0.5);
    expect(storage.r2_bytes_per_message).toBe(2000);
    expect(cost.d1_rows_written_per_delivery).toBe(3);
    expect(cost.units_per_delivery?.workersRequests).toBe(1.01);
  });

  it("reports the share of rows written per delivery that went to endpoint stats", () => {
    const report: StorageReport = { databases: [{ binding: "DB", bytes: 0, messages: 100 }], payloads: null };
    const { cost } = storageFiguresOf(phase(report, report, 100, { api: { d1RowsWritten: 200 }, consumer: { d1RowsWritten: 104, d1StatsRowsWritten: 4 } }));
    expect(cost.d1_rows_written_per_delivery).toBe(3.04);
    expect(cost.d1_stats_rows_written_per_delivery).toBe(0.04);
  });
});
