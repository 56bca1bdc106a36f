import { type Bench, drain, enqueueHeaders, enqueueUrl, receiverReport, SETTINGS, succeeded } from "./context.ts";
import { enqueueBurst } from "./load.ts";
import { percentile } from "./stats.ts";

/** Enqueue-to-receipt latencies of a set of messages, ms. */
export interface Latencies {
  delivered: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** Phase 7: a healthy endpoint's latency alone, and with a receiver that never answers in the same batches. */
export interface IsolationResult {
  /** The healthy endpoint's messages (both runs), for the ledger. */
  accepted: string[];
  alone: Latencies;
  withHangingNeighbour: Latencies;
  hangingMessages: number;
  hangTimeoutMs: number;
  /** p95 with the neighbour − p95 alone; the target is ≤ 2,000 ms. */
  p95IncreaseMs: number | null;
}

async function latenciesOf(bench: Bench, ids: string[]): Promise<Latencies> {
  const report = await receiverReport(bench, "isolation");
  const latencies = ids.flatMap((id) => {
    const arrival = report.messages[id];
    const first = arrival && succeeded(arrival)[0];
    return first && arrival.sentAt !== null ? [first.at - arrival.sentAt] : [];
  });
  return { delivered: latencies.length, p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: percentile(latencies, 100) };
}

const burst = (bench: Bench, event: string, count: number) =>
  enqueueBurst({ url: enqueueUrl(bench), headers: enqueueHeaders(bench), event, count, payloadBytes: 1024, maxSeconds: SETTINGS.enqueueCapSeconds });

/**
 * Issue 15's measurement: N messages to a healthy endpoint, alone; then N more sent together with M
 * to an endpoint that never answers (cut at its timeout), so consumer batches hold both.
 */
export async function measureIsolation(bench: Bench): Promise<IsolationResult> {
  const alone = await burst(bench, "bench.isolation", SETTINGS.isolationMessages);
  await drain(bench, "isolation", alone.acceptedIds.length);
  const [, beside] = await Promise.all([
    burst(bench, "bench.hang", SETTINGS.hangingMessages),
    burst(bench, "bench.isolation", SETTINGS.isolationMessages),
  ]);
  await drain(bench, "isolation", alone.acceptedIds.length + beside.acceptedIds.length);
  const [a, b] = [await latenciesOf(bench, alone.acceptedIds), await latenciesOf(bench, beside.acceptedIds)];
  return {
    accepted: [...alone.acceptedIds, ...beside.acceptedIds],
    alone: a,
    withHangingNeighbour: b,
    hangingMessages: SETTINGS.hangingMessages,
    hangTimeoutMs: SETTINGS.hangTimeoutMs,
    p95IncreaseMs: a.p95 !== null && b.p95 !== null ? b.p95 - a.p95 : null,
  };
}
