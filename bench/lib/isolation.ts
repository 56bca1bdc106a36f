import { type Bench, drain, earnMainLane, enqueueHeaders, enqueueUrl, receiverReport, SETTINGS, succeeded } from "./context.ts";
import { enqueueBurst } from "./load.ts";
import { percentile } from "./stats.ts";

/** Enqueue-to-receipt latencies of a set of messages, ms. */
export interface Latencies {
  delivered: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/**
 * Phase 7: a healthy endpoint's latency alone; beside a new endpoint that never answers; and beside
 * one that answered quickly before (so it was in the main lane) and now never answers.
 */
export interface IsolationResult {
  /** The healthy endpoint's messages (the first, then all three runs), for the ledger. */
  accepted: string[];
  alone: Latencies;
  withHangingNeighbour: Latencies;
  withTurningNeighbour: Latencies;
  hangingMessages: number;
  hangTimeoutMs: number;
  /** p95 with the hanging neighbour − p95 alone; the target is ≤ 2,000 ms. */
  p95IncreaseMs: number | null;
  /** p95 with the turning neighbour − p95 alone: what one receiver that turns hanging costs the main lane. */
  p95IncreaseTurningMs: number | null;
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

/** The healthy endpoint's latencies for N messages sent together with M to a neighbour (`event`). */
async function beside(bench: Bench, neighbourEvent: string, deliveredBefore: number) {
  const [, sent] = await Promise.all([
    burst(bench, neighbourEvent, SETTINGS.hangingMessages),
    burst(bench, "bench.isolation", SETTINGS.isolationMessages),
  ]);
  await drain(bench, "isolation", deliveredBefore + sent.acceptedIds.length);
  return { ids: sent.acceptedIds, latencies: await latenciesOf(bench, sent.acceptedIds) };
}

const increase = (a: Latencies, b: Latencies) => (a.p95 !== null && b.p95 !== null ? b.p95 - a.p95 : null);

/**
 * Issue 15's measurement: N messages to a healthy endpoint in the main lane, alone; then N more sent together with M
 * to an endpoint that never answers (cut at its timeout); then N more beside M to an endpoint that
 * answered once and now never answers.
 */
export async function measureIsolation(bench: Bench): Promise<IsolationResult> {
  const first = await earnMainLane(bench, "bench.isolation");
  const alone = await burst(bench, "bench.isolation", SETTINGS.isolationMessages);
  await drain(bench, "isolation", 1 + alone.acceptedIds.length);
  const a = await latenciesOf(bench, alone.acceptedIds);
  const hanging = await beside(bench, "bench.hang", 1 + alone.acceptedIds.length);
  await earnMainLane(bench, "bench.turn");
  const turning = await beside(bench, "bench.turn", 1 + alone.acceptedIds.length + hanging.ids.length);
  return {
    accepted: [first, ...alone.acceptedIds, ...hanging.ids, ...turning.ids],
    alone: a,
    withHangingNeighbour: hanging.latencies,
    withTurningNeighbour: turning.latencies,
    hangingMessages: SETTINGS.hangingMessages,
    hangTimeoutMs: SETTINGS.hangTimeoutMs,
    p95IncreaseMs: increase(a, hanging.latencies),
    p95IncreaseTurningMs: increase(a, turning.latencies),
  };
}
