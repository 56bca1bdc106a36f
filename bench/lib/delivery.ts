import type { Counters, HandlerKind } from "../instrument.ts";
import { type Bench, drain, enqueueHeaders, enqueueUrl, phaseCounters, quietCounters, receiverReport, SETTINGS, succeeded } from "./context.ts";
import { enqueueBurst, type Burst } from "./load.ts";
import { percentile } from "./stats.ts";
import { cpuBetween, sampleCpu, type CpuUse } from "./system.ts";

/** Phase 2: a burst of messages, delivered. */
export interface DeliveryResult {
  burst: Omit<Burst, "acceptedIds">;
  accepted: string[];
  drained: boolean;
  deliveriesPerSec: number | null;
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
  /** From the end of the enqueue load to the last receipt. */
  drainMs: number | null;
  /**
   * Deliveries after the enqueue load stopped, and their rate while the consumer was delivering
   * (pauses waiting for a partial batch left out): the consumer without the API beside it.
   */
  afterLoad: { deliveries: number; perSec: number | null };
  /** From the first enqueue request to the last receipt. */
  totalMs: number | null;
  cpu: { enqueueing: CpuUse | null; draining: CpuUse | null };
  /** Counter deltas over the phase, per kind of handler. */
  counters: Record<HandlerKind, Counters>;
}

/** Hooks around phase 2, e.g. to profile it. */
export interface PhaseHooks {
  before?: () => Promise<void>;
  after?: () => Promise<void>;
}

/** Fewer deliveries than this after the load stops make too short a drain to give a rate. */
const MIN_DRAIN_SAMPLE = 100;
/**
 * A pause this long between two receipts after the load stopped is the consumer waiting for a
 * partial batch to fill (max_batch_timeout), not delivering; the rate leaves such pauses out.
 */
const BATCH_WAIT_GAP_MS = 250;

function afterLoad(receipts: number[], loadEndedAt: number): DeliveryResult["afterLoad"] {
  const after = receipts.filter((at) => at > loadEndedAt).sort((a, b) => a - b);
  let busyMs = 0;
  let previous = loadEndedAt;
  for (const at of after) {
    if (at - previous < BATCH_WAIT_GAP_MS) busyMs += at - previous;
    previous = at;
  }
  return {
    deliveries: after.length,
    perSec: after.length >= MIN_DRAIN_SAMPLE && busyMs > 0 ? Math.round((after.length * 1000) / busyMs) : null,
  };
}

/** N messages as fast as the API takes them, then the time until the receiver has them all. */
export async function measureDelivery(bench: Bench, hooks: PhaseHooks = {}): Promise<DeliveryResult> {
  await hooks.before?.();
  const countersBefore = await quietCounters(bench);
  const cpu0 = sampleCpu(bench.relay, bench.receiverPid);
  const { acceptedIds, ...burst } = await enqueueBurst({
    url: enqueueUrl(bench),
    headers: enqueueHeaders(bench),
    event: "bench.delivery",
    count: SETTINGS.deliveryMessages,
    payloadBytes: SETTINGS.deliveryPayloadBytes,
    maxSeconds: SETTINGS.enqueueCapSeconds,
  });
  const cpu1 = sampleCpu(bench.relay, bench.receiverPid);
  const drained = await drain(bench, "delivery", acceptedIds.length);
  const cpu2 = sampleCpu(bench.relay, bench.receiverPid);
  const countersAfter = await quietCounters(bench);
  await hooks.after?.();

  const report = await receiverReport(bench, "delivery");
  const receipts = acceptedIds.flatMap((id) => {
    const arrival = report.messages[id];
    const first = arrival && succeeded(arrival)[0];
    return first ? [{ at: first.at, latency: arrival.sentAt === null ? null : first.at - arrival.sentAt }] : [];
  });
  const times = receipts.map((r) => r.at);
  const latencies = receipts.flatMap((r) => (r.latency === null ? [] : [r.latency]));
  const first = times.length ? Math.min(...times) : null;
  const last = times.length ? Math.max(...times) : null;
  return {
    burst,
    accepted: acceptedIds,
    drained,
    deliveriesPerSec: first !== null && last !== null && last > first ? Math.round((receipts.length * 1000) / (last - first)) : null,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
    drainMs: last === null ? null : Math.max(0, last - burst.endedAt),
    afterLoad: afterLoad(times, burst.endedAt),
    totalMs: last === null ? null : last - burst.startedAt,
    cpu: { enqueueing: cpuBetween(cpu0, cpu1), draining: cpuBetween(cpu1, cpu2) },
    counters: phaseCounters(countersAfter, countersBefore),
  };
}

/** Enqueue-to-receipt latency at a steady rate the runtime absorbs, so no backlog builds up. */
export interface PacedResult {
  accepted: string[];
  drained: boolean;
  ratePerSec: number;
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
}

/** Messages at SETTINGS.pacedPerSec for SETTINGS.pacedSeconds, and their latency. */
export async function measurePaced(bench: Bench): Promise<PacedResult> {
  const { acceptedIds } = await enqueueBurst({
    url: enqueueUrl(bench),
    headers: enqueueHeaders(bench),
    event: "bench.paced",
    count: SETTINGS.pacedPerSec * SETTINGS.pacedSeconds,
    payloadBytes: SETTINGS.deliveryPayloadBytes,
    maxSeconds: SETTINGS.enqueueCapSeconds,
    ratePerSec: SETTINGS.pacedPerSec,
  });
  const drained = await drain(bench, "paced", acceptedIds.length);
  const report = await receiverReport(bench, "paced");
  const latencies = acceptedIds.flatMap((id) => {
    const arrival = report.messages[id];
    const first = arrival && succeeded(arrival)[0];
    return first && arrival.sentAt !== null ? [first.at - arrival.sentAt] : [];
  });
  return {
    accepted: acceptedIds,
    drained,
    ratePerSec: SETTINGS.pacedPerSec,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
  };
}
