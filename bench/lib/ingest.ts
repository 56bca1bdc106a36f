import { type Bench, drain, enqueueHeaders, enqueueUrl, SETTINGS } from "./context.ts";
import { payloadOf, throughput, type Throughput } from "./load.ts";
import { ratio } from "./stats.ts";
import { cpuBetween, sampleCpu, type CpuUse } from "./system.ts";

/** Messages per bulk request: the API's maximum (src/limits.ts MAX_BATCH_MESSAGES). */
const BULK_BATCH = 100;

/** Phase 1: the no-op ceiling and enqueue throughput. */
export interface IngestResult {
  noop: Throughput[];
  enqueue: Array<{ payloadBytes: number; run: Throughput; ratioToNoop: number | null }>;
  /** 4 KiB enqueues that match no endpoint: the message row alone, no delivery, no queue send, no consumer work. */
  unrouted: { run: Throughput; ratioToNoop: number | null; cpu: CpuUse | null };
  /**
   * 4 KiB messages matching no endpoint, 100 to a `POST …/messages/batch`, right after `unrouted`
   * under the same conditions (consumer idle, no deliveries): messages/s = requests/s × 100.
   */
  bulk: { run: Throughput; messagesPerSecond: number };
  /** Single enqueues per second (the `unrouted` run: consumer idle). */
  single_messages_per_second: number;
  bulk_messages_per_second: number;
  bulk_over_single: number | null;
  /** Single enqueues with the consumer idle ÷ the no-op route's mean, in the same run. */
  single_over_noop_idle: number | null;
  /** Messages the API accepted in this phase (warm-up included), for the ledger. */
  accepted: number;
  cpu: CpuUse | null;
}

/**
 * The runtime's ceiling (GET /health, before and after) and enqueue req/s at each payload size,
 * with the ratio to the mean of the two no-op runs.
 */
export async function measureIngest(bench: Bench): Promise<IngestResult> {
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
  const bulk = await throughput({
    url: `${enqueueUrl(bench)}/batch`,
    method: "POST",
    headers: enqueueHeaders(bench),
    body: `{"messages":[${Array.from({ length: BULK_BATCH }, () => `{"event":"bench.unrouted","payload":${payloadOf(4096)}}`).join(",")}]}`,
    seconds: SETTINGS.ingestSeconds,
  });
  const bulkPerSecond = Math.round(((bulk.requests - bulk.non2xx) * BULK_BATCH) / SETTINGS.ingestSeconds);
  const after = await noopRun(SETTINGS.ingestSeconds);
  const noopMean = (before.reqPerSec + after.reqPerSec) / 2;
  return {
    noop: [before, after],
    enqueue: runs.map((r) => ({ ...r, ratioToNoop: ratio(r.run.reqPerSec, noopMean) })),
    unrouted: { run: unrouted, ratioToNoop: ratio(unrouted.reqPerSec, noopMean), cpu: unroutedCpu },
    bulk: { run: bulk, messagesPerSecond: bulkPerSecond },
    single_messages_per_second: unrouted.reqPerSec,
    bulk_messages_per_second: bulkPerSecond,
    bulk_over_single: ratio(bulkPerSecond, unrouted.reqPerSec),
    single_over_noop_idle: ratio(unrouted.reqPerSec, noopMean),
    accepted,
    cpu,
  };
}
