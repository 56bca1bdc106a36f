import type { IsolationResult } from "./isolation.ts";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { RunName } from "./context.ts";
import type { Cost, CostBreakdown } from "./cost.ts";
import type { DeliveryResult, PacedResult } from "./delivery.ts";
import type { IngestResult } from "./ingest.ts";
import type { Ledger } from "./ledger.ts";
import type { RetryResult } from "./retry.ts";
import type { FaultsResult } from "./faults.ts";
import type { FifoResult } from "./fifo.ts";
import type { ScaleResult } from "./scale.ts";
import type { ProfileSummary } from "./profile.ts";
import type { ShardFigures, StorageCost, StorageFigures } from "./storage.ts";
import type { CpuUse, MachineLoad } from "./system.ts";
import { VALIDATION_RUNS, type ValidationResult } from "./validation.ts";

/** One run of `npm run bench`: what bench/results/latest.json holds. */
export interface BenchResult {
  generatedAt: string;
  commit: string;
  versions: { node: string; wrangler: string; workerd: string };
  machine: { start: MachineLoad; end: MachineLoad };
  durationSeconds: number;
  settings: Record<string, unknown>;
  ingest: IngestResult;
  delivery: Omit<DeliveryResult, "accepted"> & { enqueued: number };
  paced: Omit<PacedResult, "accepted"> & { enqueued: number };
  retry: Omit<RetryResult, "accepted"> & { enqueued: number };
  /** Per phase; the hanging receiver's messages (phase 7) fail by design and have no ledger. */
  ledger: Record<Exclude<RunName, "hang" | "turn">, Ledger>;
  /** Phase 2's counts per enqueue and delivery, and phase 6's dollars (the contract's snake_case keys). */
  cost: Cost & StorageCost;
  /** Phase 7: a healthy endpoint's latency alone and beside a receiver that never answers. */
  isolation: Omit<IsolationResult, "accepted">;
  /** Phase 6: bytes and objects per message, measured from the stores. */
  storage: StorageFigures;
  /** The data databases and the messages each holds at the end of the run. */
  shards: ShardFigures;
  /** Top self-time functions of the Worker during phase 2, with `--profile`. */
  profile: ProfileSummary | null;
  /** The scale phase (`--phase scale`, run alone): reads on a million-message shard; null before its first run. */
  scale: ScaleResult | null;
  /** The faults phase (`--phase faults`, run alone): a ledger under injected platform faults; null before its first run. */
  faults: FaultsResult | null;
  /** The fifo phase (`--phase fifo`, run alone): what ordering costs per delivery; null before its first run. */
  fifo: FifoResult | null;
  /** Phase 8: CPU time of checking a 256 KiB payload against hostile schemas. */
  validation: ValidationResult;
  targets: Target[];
}

/** A figure the issue sets a target for, and whether this run met it. */
export interface Target {
  name: string;
  value: number | null;
  target: string;
  met: boolean;
}

/** Evaluates the targets against a run. */
export function targetsOf(r: Omit<BenchResult, "targets">): Target[] {
  const at4k = r.ingest.enqueue.find((e) => e.payloadBytes === 4096)?.ratioToNoop ?? null;
  const lost = Object.values(r.ledger).reduce((sum, l) => sum + l.lost, 0);
  const check = (name: string, value: number | null, target: string, ok: (v: number) => boolean): Target => ({
    name,
    value,
    target,
    met: value !== null && ok(value),
  });
  return [
    check("enqueue ÷ no-op req/s at 4 KiB", at4k, "≥ 0.7", (v) => v >= 0.7),
    check("deliveries/s to a local receiver, end to end (phase 2)", r.delivery.deliveriesPerSec, "≥ 500", (v) => v >= 500),
    check("deliveries/s after the enqueue load stops (consumer alone, backlog)", r.delivery.afterLoad.perSec, "≥ 500", (v) => v >= 500),
    check("p50 enqueue-to-receipt (ms), burst (phase 2)", r.delivery.latencyMs.p50, "< 1500", (v) => v < 1500),
    check(`p50 enqueue-to-receipt (ms), steady ${r.paced.ratePerSec}/s`, r.paced.latencyMs.p50, "< 1500", (v) => v < 1500),
    check("D1 round trips per enqueue", r.cost.perEnqueue.d1RoundTrips, "≤ 1", (v) => v <= 1),
    check("queue calls per enqueue", r.cost.perEnqueue.queueCalls, "≤ 1", (v) => v <= 1),
    check("D1 round trips per consumer batch", r.cost.perConsumerBatch.d1RoundTrips, "≤ 2", (v) => v <= 2),
    check("messages lost (all phases)", lost, "0", (v) => v === 0),
    check("retried messages not delivered on attempt 2", r.retry.enqueued - r.retry.failedOnceThenDelivered, "0", (v) => v === 0),
    check("retries sooner than the schedule", r.retry.early, "0", (v) => v === 0),
    check("D1 rows written per delivery (phase 6)", r.cost.d1_rows_written_per_delivery, "≤ 3", (v) => v <= 3),
    check("D1 bytes per message, 4 KiB extraction payload (phase 6)", r.storage.d1_bytes_per_message, "≤ 1200", (v) => v <= 1200),
    check("USD per million deliveries, list price, 30 days' storage (phase 6)", r.cost.usd_per_million_deliveries, "≤ 5.5", (v) => v <= 5.5),
    check("USD per million deliveries through bulk enqueue (phase 6 units, 100 a request)", r.cost.usd_per_million_deliveries_bulk, "≤ 4", (v) => v <= 4),
    check("bulk ÷ single enqueue, messages/s (phase 1)", r.ingest.bulk_over_single, "≥ 10", (v) => v >= 10),
    check("single enqueue ÷ no-op req/s, consumer idle (phase 1)", r.ingest.single_over_noop_idle, "≥ 0.55", (v) => v >= 0.55),
    check("healthy endpoint's p95 latency increase beside a new hanging one, ms (phase 7)", r.isolation.p95IncreaseMs, "≤ 2000", (v) => v <= 2000),
    check(`most D1 rows read by one call at ${fmt(r.scale?.messages)} messages (scale phase)`, r.scale?.max_rows_read_per_call ?? null, "≤ 250", (v) => v <= 250),
    check("worst CPU ms to check a 256 KiB payload against a hostile schema (phase 8)", r.validation.worst_ms_256kib, "≤ 50", (v) => v <= 50),
  ];
}

const fmt = (v: number | null | undefined, unit = "") => (v === null || v === undefined ? "–" : `${v.toLocaleString("en-US")}${unit}`);
const kib = (bytes: number) => (bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`);

function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function breakdownCells(b: CostBreakdown | null): string[] {
  if (!b) return ["–", "–", "–", "–", "–", "–", "–"];
  return [b.workers_requests, b.queues, b.d1_rows_written, b.d1_rows_read, b.d1_storage_30d, b.kv_reads, b.r2].map((usd) => fmt(usd));
}

function cpuRow(phase: string, use: CpuUse | null): Array<string | number> {
  if (!use) return [phase, "–", "–", "–", "–", "–", "–", "–"];
  const ours = (use.workerd ?? 0) + (use.wrangler ?? 0) + (use.receiver ?? 0) + (use["load generator"] ?? 0);
  const others = Math.max(0, Math.round((use.machine! - ours) * 100) / 100);
  return [phase, fmt(use.workerd), fmt(use["worker thread"]), fmt(use["proxy thread"]), fmt(use.wrangler), fmt(use.receiver), fmt(use["load generator"]), fmt(others)];
}

/** The results as Markdown: the generated section of BENCHMARKS.md, also printed to the console. */
export function renderMarkdown(r: BenchResult): string {
  const load = (m: MachineLoad) => m.loadavg.join(" / ");
  const [noopBefore, noopAfter] = r.ingest.noop;
  const c = r.cost;
  return [
    `Run ${r.generatedAt} at ${r.commit}, ${r.durationSeconds} s, on ${r.machine.start.cpus} × ${r.machine.start.cpuModel};`,
    `Node ${r.versions.node}, wrangler ${r.versions.wrangler} (workerd ${r.versions.workerd}).`,
    `**Load average (1 / 5 / 15 min): ${load(r.machine.start)} at start, ${load(r.machine.end)} at end.**`,
    "",
    "**Targets**",
    "",
    table(["figure", "this run", "target", "met"], r.targets.map((t) => [t.name, fmt(t.value), t.target, t.met ? "yes" : "**no**"])),
    "",
    `**1. Ingest** (${r.settings.connections} connections, ${r.settings.ingestSeconds} s each; enqueue fans out to one endpoint)`,
    "",
    table(
      ["route", "req/s", "p50 ms", "p99 ms", "non-2xx", "÷ no-op"],
      [
        ["GET /health (no-op), before", fmt(noopBefore!.reqPerSec), fmt(noopBefore!.p50Ms), fmt(noopBefore!.p99Ms), fmt(noopBefore!.non2xx), "1"],
        ...r.ingest.enqueue.map((e) => [`POST …/messages, ${kib(e.payloadBytes)}`, fmt(e.run.reqPerSec), fmt(e.run.p50Ms), fmt(e.run.p99Ms), fmt(e.run.non2xx), fmt(e.ratioToNoop)]),
        [
          "POST …/messages, 4 KiB, matching no endpoint (no delivery, no queue send)",
          fmt(r.ingest.unrouted.run.reqPerSec), fmt(r.ingest.unrouted.run.p50Ms), fmt(r.ingest.unrouted.run.p99Ms), fmt(r.ingest.unrouted.run.non2xx), fmt(r.ingest.unrouted.ratioToNoop),
        ],
        [
          `POST …/messages/batch, 100 × 4 KiB matching no endpoint (${fmt(r.ingest.bulk_messages_per_second)} messages/s, ${fmt(r.ingest.bulk_over_single)}× single)`,
          fmt(r.ingest.bulk.run.reqPerSec), fmt(r.ingest.bulk.run.p50Ms), fmt(r.ingest.bulk.run.p99Ms), fmt(r.ingest.bulk.run.non2xx), "–",
        ],
        ["GET /health (no-op), after", fmt(noopAfter!.reqPerSec), fmt(noopAfter!.p50Ms), fmt(noopAfter!.p99Ms), fmt(noopAfter!.non2xx), "1"],
      ],
    ),
    "",
    `**2. Delivery** (${fmt(r.delivery.enqueued)} messages of ${kib(Number(r.settings.deliveryPayloadBytes))}, enqueued as fast as the API takes them)`,
    "",
    table(
      ["enqueue req/s", "deliveries/s", "latency p50 ms", "latency p99 ms", "latency max ms", "drain after load ms", "first request to last receipt ms", "delivered after load (per s while delivering)"],
      [[
        fmt(r.delivery.burst.reqPerSec), fmt(r.delivery.deliveriesPerSec), fmt(r.delivery.latencyMs.p50), fmt(r.delivery.latencyMs.p99),
        fmt(r.delivery.latencyMs.max), fmt(r.delivery.drainMs), fmt(r.delivery.totalMs),
        `${fmt(r.delivery.afterLoad.deliveries)} (${fmt(r.delivery.afterLoad.perSec)})`,
      ]],
    ),
    "",
    `and at a steady ${fmt(r.paced.ratePerSec)} messages/s for ${fmt(Number(r.settings.pacedSeconds))} s (${fmt(r.paced.enqueued)} messages): latency p50 ${fmt(r.paced.latencyMs.p50)} ms, p99 ${fmt(r.paced.latencyMs.p99)} ms, max ${fmt(r.paced.latencyMs.max)} ms.`,
    "",
    "**3. Ledger** (enqueued = delivered + recorded failures; still open when the bench stopped waiting counts as lost)",
    "",
    table(
      ["phase", "enqueued (202)", "delivered", "duplicates", "failures recorded", "still open", "lost", "unannounced"],
      Object.entries(r.ledger).map(([phase, l]) => [phase, fmt(l.enqueued), fmt(l.delivered), fmt(l.duplicates), fmt(l.failed), fmt(l.stillOpen), fmt(l.lost), fmt(l.unannounced)]),
    ),
    "",
    "**4. Cost**, counted by the bench-mode binding wrappers during phase 2",
    "",
    table(
      ["per", "D1 round trips", "D1 statements", "D1 rows read", "D1 rows written", "KV reads", "queue calls (messages)"],
      [
        ["enqueued message", fmt(c.perEnqueue.d1RoundTrips), fmt(c.perEnqueue.d1Statements), fmt(c.perEnqueue.d1RowsRead), fmt(c.perEnqueue.d1RowsWritten), fmt(c.perEnqueue.kvReads), `${fmt(c.perEnqueue.queueCalls)} (${fmt(c.perEnqueue.queueMessages)})`],
        ["delivered webhook", fmt(c.perDelivery.d1RoundTrips), fmt(c.perDelivery.d1Statements), fmt(c.perDelivery.d1RowsRead), fmt(c.perDelivery.d1RowsWritten), fmt(c.perDelivery.kvReads), fmt(c.perDelivery.queueCalls)],
        [`consumer batch (${fmt(c.perConsumerBatch.batches)} batches, ${fmt(c.perConsumerBatch.messagesPerBatch)} messages each)`, fmt(c.perConsumerBatch.d1RoundTrips), fmt(c.perConsumerBatch.d1Statements), "", "", "", ""],
      ],
    ),
    "",
    `**5. Retries under load** (${fmt(r.retry.enqueued)} messages; the receiver fails every first attempt)`,
    "",
    table(
      ["failed once, then delivered", "schedule ms", "spacing min ms", "p50 ms", "p99 ms", "max ms", "sooner than scheduled", "later than scheduled"],
      [[`${fmt(r.retry.failedOnceThenDelivered)} of ${fmt(r.retry.enqueued)}`, `${fmt(r.retry.scheduledSpacingMs.min)}–${fmt(r.retry.scheduledSpacingMs.max)}`, fmt(r.retry.spacingMs.min), fmt(r.retry.spacingMs.p50), fmt(r.retry.spacingMs.p99), fmt(r.retry.spacingMs.max), fmt(r.retry.early), fmt(r.retry.late)]],
    ),
    "",
    `**6. Storage and cost** (${fmt(r.storage.messages)} messages stored, extraction payloads of ${fmt(r.storage.payload_bytes)} bytes on average, one endpoint, ` +
      `${fmt(r.cost.delivered_first_attempt)} delivered on the first attempt; ${fmt(r.shards.count)} data database(s))`,
    "",
    table(
      ["D1 bytes per message", "R2 objects per message", "R2 bytes per message", "D1 rows written per delivery", "of them endpoint stats", "USD per million deliveries"],
      [[fmt(r.storage.d1_bytes_per_message), fmt(r.storage.r2_objects_per_message), r.storage.payloads_bucket ? fmt(r.storage.r2_bytes_per_message) : "no PAYLOADS bucket", fmt(r.cost.d1_rows_written_per_delivery), fmt(r.cost.d1_stats_rows_written_per_delivery), fmt(r.cost.usd_per_million_deliveries)]],
    ),
    "",
    table(
      ["database", "holds messages", "bytes before", "bytes after", "growth", "messages at the end"],
      r.storage.databases.map((d) => [d.binding, d.data ? "yes" : "no (control)", fmt(d.bytes_before), fmt(d.bytes_after), fmt(d.bytes_delta), fmt(d.messages)]),
    ),
    "",
    `**7. Isolation** (${fmt(r.isolation.alone.delivered)} messages to a healthy endpoint alone; then ${fmt(r.isolation.withHangingNeighbour.delivered)} more sent together with ` +
      `${fmt(r.isolation.hangingMessages)} to a new endpoint that never answers, cut at ${fmt(r.isolation.hangTimeoutMs)} ms; then ${fmt(r.isolation.withTurningNeighbour.delivered)} more ` +
      `beside ${fmt(r.isolation.hangingMessages)} to an endpoint that answered once at once (earning the main lane) and then never again; enqueue-to-receipt at the healthy one)`,
    "",
    table(
      ["healthy endpoint", "delivered", "p50 ms", "p95 ms", "max ms"],
      [
        ["alone", fmt(r.isolation.alone.delivered), fmt(r.isolation.alone.p50), fmt(r.isolation.alone.p95), fmt(r.isolation.alone.max)],
        ["beside the hanging one", fmt(r.isolation.withHangingNeighbour.delivered), fmt(r.isolation.withHangingNeighbour.p50), fmt(r.isolation.withHangingNeighbour.p95), fmt(r.isolation.withHangingNeighbour.max)],
        ["beside the one turning to hang", fmt(r.isolation.withTurningNeighbour.delivered), fmt(r.isolation.withTurningNeighbour.p50), fmt(r.isolation.withTurningNeighbour.p95), fmt(r.isolation.withTurningNeighbour.max)],
      ],
    ),
    "",
    `**8. Validation** (CPU ms to check one payload of about 256 KiB against each hostile schema, worst of ${VALIDATION_RUNS} runs, enqueue's code in the bench's Node process; worst ${fmt(r.validation.worst_ms_256kib)} ms)`,
    "",
    table(["schema", "enqueue answers", "payload bytes", "worst CPU ms"], r.validation.figures.map((f) => [f.schema, f.outcome === "match" ? "202" : `422 ${f.outcome}`, fmt(f.payloadBytes), fmt(f.worst_ms)])),
    "",
    "USD per million deliveries by service (list price, no allowance; Workers CPU not measurable locally, left out):",
    "",
    table(
      ["Workers requests", "Queues", "D1 rows written", "D1 rows read", "D1 storage 30 days", "KV reads", "R2", "total"],
      [[...breakdownCells(r.cost.breakdown), fmt(r.cost.usd_per_million_deliveries)]],
    ),
    "",
    "**Where the time goes**: CPU cores used per process group (the machine has " + r.machine.start.cpus + "; *others* is everything else running on it). " +
      "workerd runs JavaScript on one main thread per process: *worker thread* is the one running the API, the consumer and the local D1 and Queues " +
      "simulations, *proxy thread* the one of wrangler's proxy in front of it; a thread near 1 core is the bottleneck.",
    "",
    table(
      ["phase", "workerd (all threads)", "worker thread", "proxy thread", "wrangler (Node)", "receiver", "load generator", "others"],
      [
        cpuRow("1. no-op and enqueues (deliveries running)", r.ingest.cpu),
        cpuRow("1. enqueues matching no endpoint", r.ingest.unrouted.cpu),
        cpuRow("2. enqueueing (deliveries running)", r.delivery.cpu.enqueueing),
        cpuRow("2. draining", r.delivery.cpu.draining),
      ],
    ),
    "",
    "and wall time per enqueue request and per consumer batch (phase 2), with the part spent waiting on bindings:",
    "",
    table(
      ["", "total ms", "D1 ms", "queue ms", "KV ms", "rest ms (CPU, fetches to the receiver)"],
      [
        ["enqueue request", fmt(c.time.enqueue.handlerMs), fmt(c.time.enqueue.d1Ms), fmt(c.time.enqueue.queueMs), "", fmt(c.time.enqueue.handlerMs === null ? null : Math.round((c.time.enqueue.handlerMs - (c.time.enqueue.d1Ms ?? 0) - (c.time.enqueue.queueMs ?? 0)) * 10) / 10)],
        ["consumer batch", fmt(c.time.consumerBatch.handlerMs), fmt(c.time.consumerBatch.d1Ms), "", fmt(c.time.consumerBatch.kvMs), fmt(c.time.consumerBatch.otherMs)],
      ],
    ),
    "",
    `Over phase 2 one send to the receiver took ≈ ${fmt(c.time.perSendMs)} ms of wall time (a batch's rest time over its messages, six in flight): ` +
      `with one consumer batch at a time, as the local runtime runs them, about ${fmt(c.time.perSendMs ? Math.round(6000 / c.time.perSendMs) : null)} deliveries/s ` +
      "while the enqueues share the thread.",
    ...(r.profile
      ? [
          "",
          "CPU profile of the Worker's isolate during phase 2 (`--profile`; self time, share of all samples):",
          "",
          table(["function", "self %"], r.profile.map((p) => [`\`${p.fn}\``, fmt(p.selfPercent)])),
        ]
      : []),
  ].join("\n");
}

/** A generated section of BENCHMARKS.md: the name in its markers, and the heading it goes under when new. */
export interface BenchmarksSection {
  marker: string;
  heading: string;
}

const LATEST_RUN: BenchmarksSection = { marker: "bench", heading: "Latest run" };

/** Replaces a generated section of BENCHMARKS.md (between its markers), keeping the rest. */
export function writeBenchmarksSection(file: string, markdown: string, where: BenchmarksSection = LATEST_RUN): void {
  const BEGIN = `<!-- ${where.marker}:begin (written by \`npm run bench\`; edit outside these markers) -->`;
  const END = `<!-- ${where.marker}:end -->`;
  const text = existsSync(file) ? readFileSync(file, "utf8") : `# Benchmarks\n\n## ${where.heading}\n\n${BEGIN}\n${END}\n`;
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const section = `${BEGIN}\n${markdown}\n${END}`;
  const next = start >= 0 && end > start ? text.slice(0, start) + section + text.slice(end + END.length) : `${text.trimEnd()}\n\n## ${where.heading}\n\n${section}\n`;
  writeFileSync(file, next);
}
