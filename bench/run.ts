// `npm run bench`: ingest and delivery throughput, latency, ledger, cost per delivery, retries
// under load, and storage and dollars per delivered message, measured against the relay under `wrangler dev` (the runtime of `npm run dev`) with
// a receiver and the load generator on 127.0.0.1. Everything is bounded in time and count. Prints
// the tables, writes bench/results/latest.json and the generated section of BENCHMARKS.md.
// `npm run bench -- --profile` also takes a CPU profile of the Worker during phase 2 and writes it
// to bench/results/delivery.cpuprofile (open it in Chrome DevTools). `npm run bench -- --phase scale`
// runs only the scale phase (every read on a million-message shard, bench/lib/scale.ts) and
// updates its part of latest.json and BENCHMARKS.md (`--phase faults` likewise runs the ledger under
// injected platform faults, bench/lib/faults.ts); the other phases run without it and keep the
// last scale figures. `npm run bench -- --phase storage` runs only phase 6 (storage and cost: D1
// rows written and bytes per delivery) and prints its figures without writing them: they belong
// beside the other phases' figures of one complete run; `--phase ingest` likewise runs phase 1 alone
// (with `--profile`, a CPU profile of the Worker over its alternating single and bulk slices, written
// to bench/results/ingest.cpuprofile).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { freePort, startRelay, type LocalRelay } from "../scripts/local-relay.ts";
import { setUp, SETTINGS } from "./lib/context.ts";
import { costOf } from "./lib/cost.ts";
import { measureDelivery, measurePaced, type PhaseHooks } from "./lib/delivery.ts";
import { measureIngest, type IngestResult } from "./lib/ingest.ts";
import type { Throughput } from "./lib/load.ts";
import { ledgerOf } from "./lib/ledger.ts";
import { attachProfiler, summarise, type ProfileSummary } from "./lib/profile.ts";
import { measureIsolation } from "./lib/isolation.ts";
import { measureRetries } from "./lib/retry.ts";
import { renderMarkdown, targetsOf, writeBenchmarksSection, type BenchResult } from "./lib/report.ts";
import { FAULT_SPEC, FAULTS_SECTION, measureFaults, renderFaults } from "./lib/faults.ts";
import { FIFO_SECTION, measureFifo, renderFifo } from "./lib/fifo.ts";
import { measureScale, renderScale, SCALE_SECTION, type ScaleResult } from "./lib/scale.ts";
import { measureStorage, storageFiguresOf } from "./lib/storage.ts";
import { machineLoad } from "./lib/system.ts";
import { measureValidation } from "./lib/validation.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const RESULTS = path.join(ROOT, "bench", "results");
/** The whole run is abandoned (and cleaned up) past this. */
const RUN_CAP_SECONDS = 300;

/** The bench receiver (bench/receiver.ts) in its own Node process. */
interface Receiver {
  url: string;
  pid: number;
  stop: () => void;
}

/** Starts bench/receiver.ts in its own Node process and waits for its port. */
async function startReceiver(): Promise<Receiver> {
  const child = spawn(process.execPath, [path.join(ROOT, "bench", "receiver.ts")], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const match = /^listening (\d+)$/.exec(line);
    if (match) return { url: `http://127.0.0.1:${match[1]}`, pid: child.pid!, stop: () => child.kill("SIGTERM") };
  }
  throw new Error("the receiver exited before listening");
}

/**
 * Runs `work` against the bench receiver and the bench Worker (bench/worker.ts, with its counters)
 * under `wrangler dev` with `vars` and the DevTools `inspectorPort` when given (startRelay), and stops
 * both after it, whatever its outcome. Past `capSeconds` (when given) the run is abandoned: both are
 * stopped and the process exits with 1.
 */
async function withRelay<T>(
  vars: Record<string, string>,
  options: { inspectorPort?: number; capSeconds?: number },
  work: (relay: LocalRelay, receiver: Receiver) => Promise<T>,
): Promise<T> {
  const receiver = await startReceiver();
  let relay: LocalRelay | undefined;
  const { capSeconds } = options;
  const cap =
    capSeconds === undefined
      ? undefined
      : setTimeout(() => {
          process.stderr.write(`bench: over ${capSeconds} s, giving up\n`);
          receiver.stop();
          // A relay still starting has nothing to stop yet: exit all the same.
          void (relay?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
        }, capSeconds * 1000);
  try {
    relay = await startRelay(vars, { inspectorPort: options.inspectorPort, entry: "bench/worker.ts" });
    return await work(relay, receiver);
  } finally {
    clearTimeout(cap);
    await relay?.stop();
    receiver.stop();
  }
}

function versionOf(pkg: string): string {
  return (JSON.parse(readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
}

function commit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "wrangler.toml"], { cwd: ROOT, encoding: "utf8" }).trim();
    return dirty ? `${head} (with uncommitted changes to src/ or wrangler.toml)` : head;
  } catch {
    return "unknown";
  }
}

const step = (text: string) => process.stdout.write(`bench: ${text}\n`);

/** Profiles the Worker around a phase when asked to, into bench/results/`file`; the summary lands in `into.summary`. */
async function profiling(inspectorPort: number | undefined, into: { summary?: ProfileSummary }, file = "delivery.cpuprofile"): Promise<PhaseHooks> {
  if (!inspectorPort) return {};
  const profiler = await attachProfiler(inspectorPort);
  return {
    before: () => profiler.start(),
    after: async () => {
      const profile = await profiler.stop();
      profiler.close();
      writeFileSync(path.join(RESULTS, file), JSON.stringify(profile));
      into.summary = summarise(profile);
    },
  };
}

async function bench(
  relay: LocalRelay,
  receiver: Receiver,
  inspectorPort: number | undefined,
): Promise<Omit<BenchResult, "generatedAt" | "commit" | "versions" | "machine" | "durationSeconds" | "targets" | "scale" | "faults" | "fifo">> {
  const b = await setUp(relay, receiver);

  step(`1/7 ingest: GET /health and enqueue at ${SETTINGS.payloadSizes.join(", ")} bytes, ${SETTINGS.ingestSeconds} s each`);
  const ingest = await measureIngest(b);

  step(`2/7 delivery: ${SETTINGS.deliveryMessages} messages, then until the receiver has them all (4/7 cost counted meanwhile)`);
  const profile: { summary?: ProfileSummary } = {};
  const delivery = await measureDelivery(b, await profiling(inspectorPort, profile));

  step(`2/7 delivery at a steady ${SETTINGS.pacedPerSec} messages/s for ${SETTINGS.pacedSeconds} s`);
  const paced = await measurePaced(b);

  step(`5/7 retries: ${SETTINGS.retryMessages} messages to a receiver failing every first attempt`);
  const retry = await measureRetries(b);

  step(`6/7 storage and cost: ${SETTINGS.storageMessages} extraction payloads of ≈ 4 KiB to one endpoint, databases measured before and after`);
  const storage = await measureStorage(b);
  const figures = storageFiguresOf(storage);

  step(`7/7 isolation: ${SETTINGS.isolationMessages} messages to a healthy endpoint alone, then beside ${SETTINGS.hangingMessages} to a new one that never answers, then beside ${SETTINGS.hangingMessages} to one that turns to hang`);
  const isolation = await measureIsolation(b);

  step("8/8 validation: the worst CPU time to check a 256 KiB payload against each hostile schema (in this process; `node bench/lib/validation.ts` runs it alone)");
  const validation = await measureValidation();

  step("3/7 ledger: receiver against D1");
  const ledger = {
    ingest: await ledgerOf(b, "ingest", ingest.accepted),
    delivery: await ledgerOf(b, "delivery", delivery.accepted),
    paced: await ledgerOf(b, "paced", paced.accepted),
    retry: await ledgerOf(b, "retry", retry.accepted),
    storage: await ledgerOf(b, "storage", storage.accepted),
    isolation: await ledgerOf(b, "isolation", isolation.accepted),
  };
  const { accepted: deliveryIds, ...deliveryRest } = delivery;
  const { accepted: retryIds, ...retryRest } = retry;
  const { accepted: pacedIds, ...pacedRest } = paced;
  const { accepted: _isolationIds, ...isolationRest } = isolation;
  return {
    settings: { ...SETTINGS },
    ingest,
    delivery: { ...deliveryRest, enqueued: deliveryIds.length },
    paced: { ...pacedRest, enqueued: pacedIds.length },
    retry: { ...retryRest, enqueued: retryIds.length },
    ledger,
    cost: { ...costOf(delivery, ledger.delivery.delivered), ...figures.cost },
    isolation: isolationRest,
    storage: figures.storage,
    shards: figures.shards,
    profile: profile.summary ?? null,
    validation,
  };
}

/** The figures of a phase that runs alone (`scale`, `faults`, `fifo`) from the last run that measured them, kept while the other phases run. */
function lastRunAlone<K extends "scale" | "faults" | "fifo">(phase: K): BenchResult[K] | null {
  try {
    return (JSON.parse(readFileSync(path.join(RESULTS, "latest.json"), "utf8")) as Partial<BenchResult>)[phase] ?? null;
  } catch {
    return null;
  }
}

/** Writes one phase's part of latest.json, keeping the rest, with the targets re-evaluated where the rest is a complete run. */
function writeResultsPart(part: Record<string, unknown>): void {
  const file = path.join(RESULTS, "latest.json");
  const previous = (() => {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch {
      return {};
    }
  })();
  const merged = { ...previous, ...part };
  const targets = (() => {
    // An earlier complete run gets its targets re-evaluated with the new figures; an earlier run of
    // another shape keeps its own.
    try {
      return targetsOf(merged as unknown as Omit<BenchResult, "targets">);
    } catch {
      return previous.targets;
    }
  })();
  writeFileSync(file, `${JSON.stringify({ ...merged, targets }, null, 2)}\n`);
}

/** `--phase scale`: measures the scale phase alone and writes only its part of the results. */
async function scaleOnly(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  step("scale: every read on one data shard of a million messages");
  const scale = await measureScale(step);
  writeResultsPart({ scale });
  const markdown = renderScale(scale);
  writeBenchmarksSection(path.join(ROOT, "BENCHMARKS.md"), markdown, SCALE_SECTION);
  process.stdout.write(`\n${markdown}\n\nbench: wrote the scale figures to bench/results/latest.json and BENCHMARKS.md\n`);
}

/**
 * A phase that runs alone against the bench Worker (bench/worker.ts, with its counters) started with
 * `vars`, and the bench receiver: its figures go under `name` in latest.json and into its own
 * BENCHMARKS.md section.
 */
async function runAlone<T>(
  name: "faults" | "fifo",
  vars: Record<string, string>,
  measure: (relay: LocalRelay, receiverUrl: string) => Promise<T>,
  render: (figures: T) => string,
  section: { marker: string; heading: string },
): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  await withRelay(vars, {}, async (relay, receiver) => {
    const figures = await measure(relay, receiver.url);
    writeResultsPart({ [name]: figures });
    const markdown = render(figures);
    writeBenchmarksSection(path.join(ROOT, "BENCHMARKS.md"), markdown, section);
    process.stdout.write(`\n${markdown}\n\nbench: wrote the ${name} figures to bench/results/latest.json and BENCHMARKS.md\n`);
  });
}

/** `--phase storage`: phase 6 alone (storage and cost); prints its figures, writes nothing. */
async function storageOnly(): Promise<void> {
  await withRelay({}, {}, async (relay, receiver) => {
    step(`6/7 storage and cost alone: ${SETTINGS.storageMessages} extraction payloads of ≈ 4 KiB to one endpoint`);
    const { storage, cost } = storageFiguresOf(await measureStorage(await setUp(relay, receiver)));
    const { units_per_delivery: _units, breakdown: _breakdown, breakdown_bulk: _bulk, ...figures } = cost;
    process.stdout.write(`\n${JSON.stringify({ cost: figures, storage }, null, 2)}\n\nbench: storage phase alone, nothing written\n`);
  });
}

/** `--phase ingest`: phase 1 alone (no-op ceiling, enqueue, bulk ÷ single); prints its figures, writes nothing but a profile when asked. */
async function ingestOnly(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const inspectorPort = process.argv.includes("--profile") ? await freePort() : undefined;
  await withRelay({}, { inspectorPort }, async (relay, receiver) => {
    step(`load average ${machineLoad().loadavg.join(" / ")}; 1/7 ingest alone: GET /health, enqueue at ${SETTINGS.payloadSizes.join(", ")} bytes, then single and bulk in alternating slices`);
    const profile: { summary?: ProfileSummary } = {};
    const ingest = await measureIngest(await setUp(relay, receiver), await profiling(inspectorPort, profile, "ingest.cpuprofile"));
    process.stdout.write(`\n${JSON.stringify(ingestFiguresOf(ingest, profile.summary), null, 2)}\n\nbench: ingest phase alone, nothing written${profile.summary ? " but bench/results/ingest.cpuprofile" : ""}\n`);
  });
}

/** What `--phase ingest` prints: the figures outside checks read, each run's rate and latency, and the profile's top functions. */
function ingestFiguresOf(ingest: IngestResult, profile: ProfileSummary | undefined) {
  const { single_messages_per_second, bulk_messages_per_second, bulk_over_single, single_over_noop_idle } = ingest;
  const run = (r: Throughput) => ({ req_per_s: r.reqPerSec, p50_ms: r.p50Ms, p99_ms: r.p99Ms, non2xx: r.non2xx });
  return {
    ingest: { single_messages_per_second, bulk_messages_per_second, bulk_over_single, single_over_noop_idle },
    runs: {
      noop: ingest.noop.map(run),
      ...Object.fromEntries(ingest.enqueue.map((e) => [`enqueue_${e.payloadBytes}`, run(e.run)])),
      unrouted: run(ingest.unrouted.run),
      single: run(ingest.single.run),
      bulk: run(ingest.bulk.run),
    },
    ...(profile ? { profile } : {}),
  };
}

/** `--phase faults`: a ledger run under injected platform faults (bench/lib/faults.ts), alone. */
const faultsOnly = () =>
  runAlone("faults", { ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: FAULT_SPEC, SWEEP_STUCK_AFTER_SECONDS: "30" }, (relay, url) => measureFaults(relay, url, step), renderFaults, FAULTS_SECTION);

/** `--phase fifo`: what FIFO ordering costs per delivery against an endpoint without it (bench/lib/fifo.ts), alone. */
const fifoOnly = () => runAlone("fifo", {}, (relay, url) => measureFifo(relay, url, step), renderFifo, FIFO_SECTION);

async function main(): Promise<void> {
  const phaseAt = process.argv.indexOf("--phase");
  const phase = phaseAt >= 0 ? process.argv[phaseAt + 1] : undefined;
  if (phase === "scale") return scaleOnly();
  if (phase === "faults") return faultsOnly();
  if (phase === "storage") return storageOnly();
  if (phase === "fifo") return fifoOnly();
  if (phase === "ingest") return ingestOnly();
  if (phase !== undefined) throw new Error(`unknown phase "${phase}": the phases that run alone are "scale", "faults", "storage", "fifo" and "ingest"`);
  const started = Date.now();
  const start = machineLoad();
  step(`load average ${start.loadavg.join(" / ")} on ${start.cpus} CPUs; starting the relay under wrangler dev`);
  mkdirSync(RESULTS, { recursive: true });
  const inspectorPort = process.argv.includes("--profile") ? await freePort() : undefined;
  await withRelay({}, { inspectorPort, capSeconds: RUN_CAP_SECONDS }, async (relay, receiver) => {
    const measured = await bench(relay, receiver, inspectorPort);
    const partial = {
      generatedAt: new Date().toISOString(),
      commit: commit(),
      versions: { node: process.versions.node, wrangler: versionOf("wrangler"), workerd: versionOf("workerd") },
      machine: { start, end: machineLoad() },
      durationSeconds: Math.round((Date.now() - started) / 1000),
      ...measured,
      scale: lastRunAlone("scale"),
      faults: lastRunAlone("faults"),
      fifo: lastRunAlone("fifo"),
    };
    const result: BenchResult = { ...partial, targets: targetsOf(partial) };
    writeFileSync(path.join(RESULTS, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
    const markdown = renderMarkdown(result);
    writeBenchmarksSection(path.join(ROOT, "BENCHMARKS.md"), markdown);
    process.stdout.write(`\n${markdown}\n\nbench: wrote bench/results/latest.json and BENCHMARKS.md\n`);
  });
}

await main();
