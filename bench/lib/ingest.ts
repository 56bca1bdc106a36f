import type { PhaseHooks } from "./delivery.ts";
import { type Bench, drain, enqueueHeaders, enqueueUrl, SETTINGS } from "./context.ts";
import { payloadOf, throughput, type Throughput } from "./load.ts";
import { percentile, ratio } from "./stats.ts";
import { cpuBetween, sampleCpu, type CpuUse } from "./system.ts";

/** Messages per bulk request: the API's maximum (src/limits.ts MAX_BATCH_MESSAGES). */
const BULK_BATCH = 100;
/**
 * Single and bulk enqueues are measured in alternating slices, this many of each, so that whatever
 * else loads the machine meanwhile falls on both sides alike and cancels out of their ratio.
 */
const ALTERNATE_ROUNDS = 3;
/** Seconds of each slice: long enough that a loaded machine still completes several 100-message requests in one. */
const SLICE_SECONDS = 3;

/** Several runs of one kind as one: totals over their summed duration, the median p50 of the runs that completed a request, and the worst p99. */
function combined(runs: Throughput[], seconds: number): Throughput {
  const sum = (pick: (r: Throughput) => number) => runs.reduce((total, r) => total + pick(r), 0);
  return {
    reqPerSec: Math.round(sum((r) => r.requests) / seconds),
    p50Ms: percentile(runs.filter((r) => r.requests > 0).map((r) => r.p50Ms), 50) ?? 0,
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    requests: sum((r) => r.requests),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
  };
}

/** Phase 1: the no-op ceiling and enqueue throughput. */
export interface IngestResult {
  noop: Throughput[];
  enqueue: Array<{ payloadBytes: number; run: Throughput; ratioToNoop: number | null }>;
  /** 4 KiB enqueues that match no endpoint: the message row alone, no delivery, no queue send, no consumer work. */
  unrouted: { run: Throughput; ratioToNoop: number | null; cpu: CpuUse | null };
  /**
   * 4 KiB messages matching no endpoint, 100 to a `POST …/messages/batch`, after `unrouted` under
   * the same conditions (consumer idle, no deliveries), in ALTERNATE_ROUNDS slices alternating
   * with single enqueues of the same messages: messages/s = requests/s × 100.
   */
  bulk: { run: Throughput; messagesPerSecond: number };
  /** The single enqueues of the alternating slices (consumer idle). */
  single: { run: Throughput };
  /** Single enqueues per second, over the alternating slices. */
  single_messages_per_second: number;
  bulk_messages_per_second: number;
  /** bulk_messages_per_second ÷ single_messages_per_second, both from the alternating slices. */
  bulk_over_single: number | null;
  /** Single enqueues with the consumer idle ÷ the no-op route's mean, in the same run. */
  single_over_noop_idle: number | null;
  /** Messages the API accepted in this phase (warm-up included), for the ledger. */
  accepted: number;
  cpu: CpuUse | null;
}

/**
 * The runtime's ceiling (GET /health, before and after) and enqueue req/s at each payload size,
 * with the ratio to the mean of the two no-op runs. `hooks` run around the alternating single and
 * bulk slices (a CPU profile of the batch route beside the single one).
 */
export async function measureIngest(bench: Bench, hooks: PhaseHooks = {}): Promise<IngestResult> {
  const noopRun = (seconds: number) => throughput({ url: `${bench.relayUrl}/health`, seconds });
  const enqueueRun = (payloadBytes: number, seconds: number, event = "bench.ingest") =>
    throughput({
      url: enqueueUrl(bench),
      method: "POST",
      headers: enqueueHeaders(bench),
      body: `{"event":"${event}","payload":${payloadOf(payloadBytes)}}`,
      seconds,
    });
  const warm = [await noopRun(SETTINGS.warmupSeconds), await enqueueRun(4096, SETTINGS.warmupSeconds)];
  const cpuBefore = sampleCpu(bench.relay, bench.receiverPid);
  const before = await noopRun(SETTINGS.ingestSeconds);
  const runs: Array<{ payloadBytes: number; run: Throughput }> = [];
  for (const payloadBytes of SETTINGS.payloadSizes) runs.push({ payloadBytes, run: await enqueueRun(payloadBytes, SETTINGS.ingestSeconds) });
  const cpu = cpuBetween(cpuBefore, sampleCpu(bench.relay, bench.receiverPid));
  const accepted = [warm[1]!, ...runs.map((r) => r.run)].reduce((sum, r) => sum + r.requests - r.non2xx, 0);
  // With the deliveries made, the consumer is idle while messages that match nothing are enqueued.
  await drain(bench, "ingest", accepted);
  const cpuUnrouted = sampleCpu(bench.relay, bench.receiverPid);
  const unrouted = await enqueueRun(4096, SETTINGS.ingestSeconds, "bench.unrouted");
  const unroutedCpu = cpuBetween(cpuUnrouted, sampleCpu(bench.relay, bench.receiverPid));
  const bulkRun = (seconds: number) =>
    throughput({
      url: `${enqueueUrl(bench)}/batch`,
      method: "POST",
      headers: enqueueHeaders(bench),
      body: `{"messages":[${Array.from({ length: BULK_BATCH }, () => `{"event":"bench.unrouted","payload":${payloadOf(4096)}}`).join(",")}]}`,
      seconds,
    });
  const singles: Throughput[] = [];
  const bulks: Throughput[] = [];
  await hooks.before?.();
  for (let round = 0; round < ALTERNATE_ROUNDS; round++) {
    singles.push(await enqueueRun(4096, SLICE_SECONDS, "bench.unrouted"));
    bulks.push(await bulkRun(SLICE_SECONDS));
  }
  await hooks.after?.();
  const alternated = ALTERNATE_ROUNDS * SLICE_SECONDS;
  const single = combined(singles, alternated);
  const bulk = combined(bulks, alternated);
  const singlePerSecond = Math.round((single.requests - single.non2xx) / alternated);
  const bulkPerSecond = Math.round(((bulk.requests - bulk.non2xx) * BULK_BATCH) / alternated);
  const after = await noopRun(SETTINGS.ingestSeconds);
  const noopMean = (before.reqPerSec + after.reqPerSec) / 2;
  return {
    noop: [before, after],
    enqueue: runs.map((r) => ({ ...r, ratioToNoop: ratio(r.run.reqPerSec, noopMean) })),
    unrouted: { run: unrouted, ratioToNoop: ratio(unrouted.reqPerSec, noopMean), cpu: unroutedCpu },
    bulk: { run: bulk, messagesPerSecond: bulkPerSecond },
    single: { run: single },
    single_messages_per_second: singlePerSecond,
    bulk_messages_per_second: bulkPerSecond,
    bulk_over_single: ratio(bulkPerSecond, singlePerSecond),
    single_over_noop_idle: ratio(unrouted.reqPerSec, noopMean),
    accepted,
    cpu,
  };
}
