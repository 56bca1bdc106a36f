// Phase 6, storage and cost: realistic 4 KiB extraction payloads to one endpoint, delivered on the
// first attempt, with the databases and the payload bucket read before and after (GET
// /_bench/storage) and the binding counters over the phase. Bytes and objects per message are
// measured from the stores, whatever the schema; dollars follow from the counts (cost.ts).
import type { Counters, HandlerKind } from "../instrument.ts";
import type { StorageReport } from "../storage.ts";
import { type Bench, drain, earnMainLane, enqueueHeaders, enqueueUrl, phaseCounters, quietCounters, receiverReport, SETTINGS } from "./context.ts";
import { type CostBreakdown, type UnitsPerDelivery, usdPerMillionDeliveries } from "./cost.ts";
import { EXTRACTION_PAYLOAD_BYTES, extractionPayload } from "./extraction-payload.ts";
import { enqueueBurst } from "./load.ts";
import { ratio } from "./stats.ts";

/** What the phase observed, before any arithmetic. */
export interface StoragePhase {
  /** The phase's messages, the one that earned the endpoint the main lane first, for the ledger. */
  accepted: string[];
  drained: boolean;
  /**
   * Messages of the phase the receiver got with a 200 on their first attempt, those whose 202 the
   * load generator cut off at its time cap included: they are stored and counted all the same.
   */
  deliveredFirstAttempt: number;
  /** Mean UTF-8 bytes of the payloads sent. */
  payloadBytes: number;
  counters: Record<HandlerKind, Counters>;
  before: StorageReport;
  after: StorageReport;
}

/** `storage.*` in latest.json. */
export interface StorageFigures {
  /** Growth of the data databases (the SHARD_n, or DB when there are none) ÷ messages stored. */
  d1_bytes_per_message: number | null;
  /** Growth of the PAYLOADS bucket's object count ÷ messages stored; 0 when there is no bucket. */
  r2_objects_per_message: number | null;
  r2_bytes_per_message: number | null;
  /** Messages the data databases gained over the phase (the denominator), and their mean payload size. */
  messages: number;
  payload_bytes: number;
  /** Every D1 database's size before and after the phase, the control database included. */
  databases: Array<{ binding: string; data: boolean; bytes_before: number | null; bytes_after: number | null; bytes_delta: number | null; messages: number | null }>;
  payloads_bucket: boolean;
}

/** `shards.*` in latest.json: data databases and the messages each holds at the end of the run. */
export interface ShardFigures {
  count: number;
  messages: Array<number | null>;
}

/** The phase's additions to `cost.*` in latest.json (the contract's names). */
export interface StorageCost {
  usd_per_million_deliveries: number | null;
  breakdown: CostBreakdown | null;
  /** The same deliveries enqueued 100 to a request, modelled from the measured units (Workers requests and queue messages shared). */
  usd_per_million_deliveries_bulk: number | null;
  breakdown_bulk: CostBreakdown | null;
  d1_rows_written_per_delivery: number | null;
  /** The share of d1_rows_written_per_delivery that is endpoint stats rollups (one row per endpoint and 5-minute bucket a consumer batch touches). */
  d1_stats_rows_written_per_delivery: number | null;
  /** The measured units the dollars come from, per delivery. */
  units_per_delivery: UnitsPerDelivery | null;
  delivered_first_attempt: number;
}

async function storageOf(bench: Bench): Promise<StorageReport> {
  const res = await fetch(`${bench.relayUrl}/_bench/storage`);
  if (!res.ok) throw new Error(`GET /_bench/storage: ${res.status} ${await res.text()}`);
  return (await res.json()) as StorageReport;
}

/**
 * The databases that hold messages: every SHARD_n when the configuration has shards, otherwise
 * DB alone. With shards, DB is the control database (tenants, endpoints, keys), which does not grow
 * per message; its size is still reported, apart, so that can be checked.
 */
export function dataDatabases(report: StorageReport): string[] {
  const shards = report.databases.filter((d) => d.binding !== "DB").map((d) => d.binding);
  return shards.length > 0 ? shards : ["DB"];
}

/** N extraction payloads to the storage endpoint, delivered, with storage and counters read around them. */
export async function measureStorage(bench: Bench): Promise<StoragePhase> {
  // A new endpoint starts in the slow lane; the cost measured is an established endpoint's.
  const first = await earnMainLane(bench, "bench.storage");
  const countersBefore = await quietCounters(bench);
  const before = await storageOf(bench);
  let payloadBytes = 0;
  let payloads = 0;
  const { acceptedIds } = await enqueueBurst({
    url: enqueueUrl(bench),
    headers: enqueueHeaders(bench),
    event: "bench.storage",
    count: SETTINGS.storageMessages,
    payloadBytes: EXTRACTION_PAYLOAD_BYTES,
    maxSeconds: SETTINGS.enqueueCapSeconds,
    payload: (seq) => {
      const text = JSON.stringify(extractionPayload(seq));
      payloadBytes += Buffer.byteLength(text);
      payloads += 1;
      return text;
    },
  });
  const drained = await drain(bench, "storage", 1 + acceptedIds.length);
  // Quiet first: a batch records its attempts after the receiver has answered.
  const countersAfter = await quietCounters(bench);
  const after = await storageOf(bench);
  const report = await receiverReport(bench, "storage");
  const deliveredFirstAttempt = Object.entries(report.messages).filter(([id, arrival]) => id !== first && arrival.attempts[0]?.status === 200).length;
  return {
    accepted: [first, ...acceptedIds],
    drained,
    deliveredFirstAttempt,
    payloadBytes: Math.round(payloadBytes / Math.max(1, payloads)),
    counters: phaseCounters(countersAfter, countersBefore),
    before,
    after,
  };
}

const sumOf = (report: StorageReport, names: string[], field: "bytes" | "messages") =>
  report.databases.filter((d) => names.includes(d.binding)).reduce((sum, d) => sum + (d[field] ?? 0), 0);

/** Bytes, objects, shards and dollars from what the phase observed. */
export function storageFiguresOf(phase: StoragePhase): { storage: StorageFigures; shards: ShardFigures; cost: StorageCost } {
  const data = dataDatabases(phase.after);
  const messages = sumOf(phase.after, data, "messages") - sumOf(phase.before, data, "messages");
  const d1Bytes = sumOf(phase.after, data, "bytes") - sumOf(phase.before, data, "bytes");
  const r2Objects = (phase.after.payloads?.objects ?? 0) - (phase.before.payloads?.objects ?? 0);
  const r2Bytes = (phase.after.payloads?.bytes ?? 0) - (phase.before.payloads?.bytes ?? 0);
  const storage: StorageFigures = {
    d1_bytes_per_message: ratio(d1Bytes, messages, 0),
    r2_objects_per_message: ratio(r2Objects, messages, 3),
    r2_bytes_per_message: ratio(r2Bytes, messages, 0),
    messages,
    payload_bytes: phase.payloadBytes,
    databases: phase.after.databases.map((d) => {
      const bytesBefore = phase.before.databases.find((b) => b.binding === d.binding)?.bytes ?? null;
      return {
        binding: d.binding,
        data: data.includes(d.binding),
        bytes_before: bytesBefore,
        bytes_after: d.bytes,
        bytes_delta: bytesBefore === null || d.bytes === null ? null : d.bytes - bytesBefore,
        messages: d.messages,
      };
    }),
    payloads_bucket: phase.after.payloads !== null,
  };
  const shards: ShardFigures = {
    // No SHARD_n bindings: DB is the one data database, which counts as one shard.
    count: data.length,
    messages: data.map((name) => phase.after.databases.find((d) => d.binding === name)?.messages ?? null),
  };
  const delivered = phase.deliveredFirstAttempt;
  const { api, consumer } = phase.counters;
  const per = (field: keyof Counters) => (api[field] + consumer[field]) / delivered;
  const units: UnitsPerDelivery | null =
    delivered === 0 || messages === 0
      ? null
      : {
          workersRequests: per("invocations"),
          queueMessages: per("queueMessages"),
          queueChunksPerMessage: 1,
          d1RowsWritten: per("d1RowsWritten"),
          d1RowsRead: per("d1RowsRead"),
          d1Bytes: d1Bytes / delivered,
          kvReads: per("kvReads"),
          r2ClassA: per("r2Writes"),
          r2ClassB: per("r2Reads"),
          r2Bytes: r2Bytes / delivered,
        };
  const usd = units && usdPerMillionDeliveries(units);
  // The same deliveries enqueued through POST …/messages/batch: the enqueue's Workers request and
  // queue messages are shared by a batch of 100 messages, ten deliveries to a queue message
  // (src/delivery/task.ts DELIVERIES_PER_MESSAGE); D1 rows, storage and the consumer's work as measured.
  const bulkUnits: UnitsPerDelivery | null = units && {
    ...units,
    workersRequests: api.invocations / delivered / BULK_BATCH + consumer.invocations / delivered,
    queueMessages: api.queueMessages / delivered / DELIVERIES_PER_MESSAGE + consumer.queueMessages / delivered,
  };
  const bulkUsd = bulkUnits && usdPerMillionDeliveries(bulkUnits);
  return {
    storage,
    shards,
    cost: {
      usd_per_million_deliveries: usd?.total ?? null,
      usd_per_million_deliveries_bulk: bulkUsd?.total ?? null,
      breakdown_bulk: bulkUsd?.breakdown ?? null,
      breakdown: usd?.breakdown ?? null,
      d1_rows_written_per_delivery: ratio(api.d1RowsWritten + consumer.d1RowsWritten, delivered, 2),
      d1_stats_rows_written_per_delivery: ratio(consumer.d1StatsRowsWritten, delivered, 2),
      units_per_delivery: units && roundUnits(units),
      delivered_first_attempt: delivered,
    },
  };
}

/** Messages per bulk enqueue request: the API's maximum. */
const BULK_BATCH = 100;
/** Deliveries per queue message: src/delivery/task.ts DELIVERIES_PER_MESSAGE (that module is not loadable by plain Node). */
const DELIVERIES_PER_MESSAGE = 10;

function roundUnits(units: UnitsPerDelivery): UnitsPerDelivery {
  const out = { ...units };
  for (const key of Object.keys(out) as Array<keyof UnitsPerDelivery>) out[key] = Math.round(out[key] * 1000) / 1000;
  return out;
}
