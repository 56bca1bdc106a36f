import { defaultScheduleSeconds, JITTER } from "../../src/delivery/backoff.ts";
import { type Bench, drain, enqueueHeaders, enqueueUrl, receiverReport, SETTINGS } from "./context.ts";
import { enqueueBurst } from "./load.ts";
import { percentile } from "./stats.ts";

/** Phase 5: how retries went under load. */
export interface RetryResult {
  accepted: string[];
  drained: boolean;
  /** Messages whose first attempt failed and second succeeded, as the receiver arranged. */
  failedOnceThenDelivered: number;
  /** The default schedule's wait after a first failure: base ±jitter. */
  scheduledSpacingMs: { min: number; max: number };
  spacingMs: { min: number | null; p50: number | null; p99: number | null; max: number | null };
  /** Second attempts that came sooner than the schedule allows: must be none. */
  early: number;
  /** Second attempts later than the schedule's longest wait: time queued behind other work, reported, not a failure. */
  late: number;
}

/** M messages to a receiver that fails every first attempt: each must arrive on its second, on schedule. */
export async function measureRetries(bench: Bench): Promise<RetryResult> {
  const { acceptedIds } = await enqueueBurst({
    url: enqueueUrl(bench),
    headers: enqueueHeaders(bench),
    event: "bench.retry",
    count: SETTINGS.retryMessages,
    payloadBytes: SETTINGS.deliveryPayloadBytes,
    maxSeconds: SETTINGS.enqueueCapSeconds,
  });
  const drained = await drain(bench, "retry", acceptedIds.length);
  const report = await receiverReport(bench, "retry");
  const firstWait = defaultScheduleSeconds()[0]! * 1000;
  const scheduled = { min: Math.floor(firstWait * (1 - JITTER)), max: Math.ceil(firstWait * (1 + JITTER)) };
  const spacings: number[] = [];
  let failedOnceThenDelivered = 0;
  for (const id of acceptedIds) {
    const attempts = [...(report.messages[id]?.attempts ?? [])].sort((a, b) => a.at - b.at);
    if (attempts.length >= 2 && attempts[0]!.status === 500 && attempts[1]!.status === 200) {
      failedOnceThenDelivered += 1;
      spacings.push(attempts[1]!.at - attempts[0]!.at);
    }
  }
  return {
    accepted: acceptedIds,
    drained,
    failedOnceThenDelivered,
    scheduledSpacingMs: scheduled,
    spacingMs: { min: percentile(spacings, 0), p50: percentile(spacings, 50), p99: percentile(spacings, 99), max: percentile(spacings, 100) },
    early: spacings.filter((s) => s < scheduled.min).length,
    late: spacings.filter((s) => s > scheduled.max).length,
  };
}
