import type { Counters, HandlerKind } from "../../src/bench/instrument.ts";
import { defaultScheduleSeconds, JITTER } from "../../src/delivery/backoff.ts";
import type { Arrival, RunReport } from "../receiver.ts";
import { enqueueBurst, payloadOf, throughput, type Burst, type Throughput } from "./load.ts";
import { percentile, ratio } from "./stats.ts";
import { cpuBetween, sampleCpu, type CpuUse } from "./system.ts";

/** Everything a phase needs: the relay, the receiver and the bench tenant. */
export interface Bench {
  relayUrl: string;
  /** `wrangler dev`'s process and port, for CPU sampling. */
  relay: { pid: number; port: number };
  adminToken: string;
  receiverUrl: string;
  receiverPid: number;
  tenantId: string;
  /** Endpoint per run name (ingest, delivery, retry), each listening for the event `bench.<run>`. */
  endpoints: Record<RunName, string>;
}

export type RunName = "ingest" | "delivery" | "paced" | "retry";

/** The bench's knobs; printed with the results. */
export const SETTINGS = {
  connections: 10,
  warmupSeconds: 1,
  ingestSeconds: 5,
  payloadSizes: [256, 4096, 65536],
  deliveryMessages: 2000,
  deliveryPayloadBytes: 1024,
  pacedPerSec: 100,
  pacedSeconds: 4,
  retryMessages: 300,
  enqueueCapSeconds: 20,
  drainCapSeconds: 45,
} as const;

const json = { "content-type": "application/json" };

async function call<T>(bench: Pick<Bench, "relayUrl">, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${bench.relayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...json },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Creates the bench tenant and one endpoint per run pointing at the receiver. */
export async function setUp(relay: { url: string; pid: number; adminToken: string }, receiver: { url: string; pid: number }): Promise<Bench> {
  const base = { relayUrl: relay.url };
  const tenant = await call<{ id: string }>(base, relay.adminToken, "POST", "/v1/tenants", { name: "bench" });
  const endpoint = async (run: RunName, behaviour: "ok" | "fail-first") =>
    (await call<{ id: string }>(base, relay.adminToken, "POST", `/v1/tenants/${tenant.id}/endpoints`, {
      url: `${receiver.url}/${behaviour}/${run}`,
      events: [`bench.${run}`],
    })).id;
  return {
    relayUrl: relay.url,
    relay: { pid: relay.pid, port: Number(new URL(relay.url).port) },
    adminToken: relay.adminToken,
    receiverUrl: receiver.url,
    receiverPid: receiver.pid,
    tenantId: tenant.id,
    endpoints: {
      ingest: await endpoint("ingest", "ok"),
      delivery: await endpoint("delivery", "ok"),
      paced: await endpoint("paced", "ok"),
      retry: await endpoint("retry", "fail-first"),
    },
  };
}

const enqueueUrl = (bench: Bench) => `${bench.relayUrl}/v1/tenants/${bench.tenantId}/messages`;
// Enqueues use the admin token, as the platform does (DESIGN.md); a tenant key costs the same once
// this isolate has verified it (one D1 lookup per key per 10 s, src/security/auth.ts).
const enqueueHeaders = (bench: Bench) => ({ authorization: `Bearer ${bench.adminToken}`, ...json });

/** Polls `check` every 200 ms until it is true or `capSeconds` pass; returns whether it became true. */
async function waitFor(check: () => Promise<boolean>, capSeconds: number): Promise<boolean> {
  const deadline = Date.now() + capSeconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

async function deliveredCount(bench: Bench, run: RunName): Promise<number> {
  return ((await (await fetch(`${bench.receiverUrl}/_count/${run}`)).json()) as { delivered: number }).delivered;
}

async function receiverReport(bench: Bench, run: RunName): Promise<RunReport> {
  return (await (await fetch(`${bench.receiverUrl}/_report/${run}`)).json()) as RunReport;
}

/** The bench's counters in the relay (bench mode), per kind of handler. */
async function counters(bench: Bench): Promise<Record<HandlerKind, Counters>> {
  return (await (await fetch(`${bench.relayUrl}/_bench/counters`)).json()) as Record<HandlerKind, Counters>;
}

/**
 * The counters once no consumer batch is running: a batch records its results after the receiver
 * has answered, so a phase's last batch must finish before its counts are read.
 */
async function quietCounters(bench: Bench): Promise<Record<HandlerKind, Counters>> {
  await waitFor(async () => (await counters(bench)).consumer.inFlight === 0, 10);
  return counters(bench);
}

function minus(after: Counters, before: Counters): Counters {
  const out = { ...after };
  for (const key of Object.keys(out) as Array<keyof Counters>) out[key] = after[key] - before[key];
  return out;
}

/** How many of an endpoint's deliveries D1 holds in `status` (read through the API). */
async function deliveriesIn(bench: Bench, run: RunName, status: string): Promise<number> {
  let total = 0;
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ endpoint_id: bench.endpoints[run], status, limit: "100", ...(cursor ? { cursor } : {}) });
    const page: { data: unknown[]; next_cursor: string | null } = await call(bench, bench.adminToken, "GET", `/v1/tenants/${bench.tenantId}/deliveries?${query}`);
    total += page.data.length;
    cursor = page.next_cursor;
  } while (cursor);
  return total;
}

// ─── 1. ingest ────────────────────────────────────────────────────────────────────────────────

export interface IngestResult {
  noop: Throughput[];
  enqueue: Array<{ payloadBytes: number; run: Throughput; ratioToNoop: number | null }>;
  /** 4 KiB enqueues that match no endpoint: the message row alone, no delivery, no queue send, no consumer work. */
  unrouted: { run: Throughput; ratioToNoop: number | null; cpu: CpuUse | null };
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
  const after = await noopRun(SETTINGS.ingestSeconds);
  const noopMean = (before.reqPerSec + after.reqPerSec) / 2;
  return {
    noop: [before, after],
    enqueue: runs.map((r) => ({ ...r, ratioToNoop: ratio(r.run.reqPerSec, noopMean) })),
    unrouted: { run: unrouted, ratioToNoop: ratio(unrouted.reqPerSec, noopMean), cpu: unroutedCpu },
    accepted,
    cpu,
  };
}

// ─── 3. ledger ────────────────────────────────────────────────────────────────────────────────

/** Enqueued = delivered + recorded failures, with duplicates counted; anything else is lost. */
export interface Ledger {
  enqueued: number;
  delivered: number;
  /** 2xx receipts of a message beyond its first. */
  duplicates: number;
  /** Deliveries D1 records as failed. */
  failed: number;
  /** Still pending or retrying in D1 when the bench stopped waiting (counted as lost). */
  stillOpen: number;
  lost: number;
  /** Messages the receiver got that no 202 named (requests cut off when a timed run ended). */
  unannounced: number;
}

function succeeded(arrival: Arrival): Array<{ at: number; status: number }> {
  return arrival.attempts.filter((a) => a.status === 200);
}

/** Checks a run against the receiver and D1. `acceptedIds` when known; otherwise only a count. */
export async function ledgerOf(bench: Bench, run: RunName, accepted: string[] | number): Promise<Ledger> {
  const report = await receiverReport(bench, run);
  const arrivals = Object.entries(report.messages);
  const deliveredIds = new Set(arrivals.filter(([, a]) => succeeded(a).length > 0).map(([id]) => id));
  const duplicates = arrivals.reduce((sum, [, a]) => sum + Math.max(0, succeeded(a).length - 1), 0);
  const [failed, pending, retrying] = await Promise.all([
    deliveriesIn(bench, run, "failed"),
    deliveriesIn(bench, run, "pending"),
    deliveriesIn(bench, run, "retrying"),
  ]);
  const enqueued = typeof accepted === "number" ? accepted : accepted.length;
  const deliveredOfAccepted = typeof accepted === "number" ? Math.min(enqueued, deliveredIds.size) : accepted.filter((id) => deliveredIds.has(id)).length;
  return {
    enqueued,
    delivered: deliveredOfAccepted,
    duplicates,
    failed,
    stillOpen: pending + retrying,
    lost: Math.max(0, enqueued - deliveredOfAccepted - failed),
    unannounced: Math.max(0, deliveredIds.size - deliveredOfAccepted),
  };
}

/** Waits (bounded) until the receiver has `expected` messages of a run. */
export async function drain(bench: Bench, run: RunName, expected: number): Promise<boolean> {
  return waitFor(async () => (await deliveredCount(bench, run)) >= expected, SETTINGS.drainCapSeconds);
}

// ─── 2. delivery and 4. cost ──────────────────────────────────────────────────────────────────

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
    counters: {
      api: minus(countersAfter.api, countersBefore.api),
      consumer: minus(countersAfter.consumer, countersBefore.consumer),
      deadLetters: minus(countersAfter.deadLetters, countersBefore.deadLetters),
      sweeper: minus(countersAfter.sweeper, countersBefore.sweeper),
    },
  };
}

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
     * local ceiling of deliveries per second.
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

// ─── 5. retries under load ────────────────────────────────────────────────────────────────────

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
