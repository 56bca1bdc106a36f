// Phase "fifo" (issue 26): what ordering costs. The same messages go to an endpoint without ordering
// and then to a FIFO endpoint, each message with one of a few ordering keys, enqueued one after the
// other; the relay's binding counters (bench/instrument.ts) are read around each run, and the
// receiver's arrival times show whether each key's messages arrived in enqueue order.
import { type Bench, drain, phaseCounters, quietCounters, receiverReport, succeeded } from "./context.ts";
import type { Counters, HandlerKind } from "../instrument.ts";
import { ratio } from "./stats.ts";

const MESSAGES = 40;
const KEYS = 4;

/** One run's measured units per delivery. */
export interface FifoRun {
  delivered: number;
  d1_rows_written_per_delivery: number | null;
  d1_round_trips_per_delivery: number | null;
  d1_rows_read_per_delivery: number | null;
  /** Queue messages the consumer handled per delivery: above 1, the extra are holds (and packs split). */
  queue_messages_handled_per_delivery: number | null;
}

/** `fifo.*` in latest.json. */
export interface FifoResult {
  messages: number;
  keys: number;
  /** Whether every key's messages reached the FIFO endpoint's receiver in enqueue order, one after the other. */
  in_order: boolean;
  /** Durable Object calls a FIFO delivery makes: none, ordering reads the data shard (docs/architecture.md "Ordering"). */
  do_calls_per_delivery: number;
  fifo: FifoRun;
  unordered: FifoRun;
  /** FIFO minus unordered, per delivery. */
  extra_d1_rows_written_per_delivery: number | null;
  extra_d1_round_trips_per_delivery: number | null;
}

type Relay = { url: string; adminToken: string };

async function call<T>(relay: Relay, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${relay.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const total = (counters: Record<HandlerKind, Counters>, key: keyof Counters) => Object.values(counters).reduce((sum, c) => sum + c[key], 0);

/** Enqueues the phase's messages one by one to `run`'s endpoint; returns their ids by key, in enqueue order. */
async function runOf(bench: Pick<Bench, "relayUrl" | "receiverUrl" | "tenantId">, relay: Relay, run: string): Promise<{ run: FifoRun; idsByKey: string[][] }> {
  const before = await quietCounters(bench);
  const idsByKey: string[][] = Array.from({ length: KEYS }, () => []);
  for (let n = 0; n < MESSAGES; n++) {
    const key = n % KEYS;
    const payload = { sent_at: Date.now(), n };
    const { id } = await call<{ id: string }>(relay, "POST", `/v1/tenants/${bench.tenantId}/messages`, { event: `bench.${run}`, payload, ordering_key: `key-${key}` });
    idsByKey[key]!.push(id);
  }
  await drain(bench, run, MESSAGES);
  const counters = phaseCounters(await quietCounters(bench), before);
  const delivered = Object.values((await receiverReport(bench, run)).messages).filter((m) => succeeded(m).length > 0).length;
  return {
    idsByKey,
    run: {
      delivered,
      d1_rows_written_per_delivery: ratio(total(counters, "d1RowsWritten"), delivered, 2),
      d1_round_trips_per_delivery: ratio(total(counters, "d1RoundTrips"), delivered, 2),
      d1_rows_read_per_delivery: ratio(total(counters, "d1RowsRead"), delivered, 2),
      queue_messages_handled_per_delivery: ratio(counters.consumer.messagesIn, delivered, 2),
    },
  };
}

/** Runs the phase against a relay started with bench/worker.ts (its counters); `receiverUrl` is bench/receiver.ts. */
export async function measureFifo(relay: Relay, receiverUrl: string, step: (text: string) => void): Promise<FifoResult> {
  const tenant = await call<{ id: string }>(relay, "POST", "/v1/tenants", { name: "bench-fifo" });
  const endpoint = async (run: string, ordering: string) =>
    (await call<{ id: string }>(relay, "POST", `/v1/tenants/${tenant.id}/endpoints`, { url: `${receiverUrl}/ok/${run}`, events: [`bench.${run}`], ordering })).id;
  await endpoint("fifo-unordered", "none");
  await endpoint("fifo", "fifo");
  const bench = { relayUrl: relay.url, receiverUrl, tenantId: tenant.id };
  step(`fifo: ${MESSAGES} messages over ${KEYS} ordering keys to an endpoint without ordering, then to a FIFO endpoint`);
  const unordered = (await runOf(bench, relay, "fifo-unordered")).run;
  const { run: fifo, idsByKey } = await runOf(bench, relay, "fifo");
  const report = await receiverReport(bench, "fifo");
  const firstSuccess = (id: string) => succeeded(report.messages[id] ?? { sentAt: null, attempts: [] })[0]?.at ?? Infinity;
  const in_order = idsByKey.every((ids) => ids.every((id, i) => i === 0 || firstSuccess(ids[i - 1]!) < firstSuccess(id)));
  const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round((a - b) * 100) / 100);
  return {
    messages: MESSAGES,
    keys: KEYS,
    in_order: in_order && fifo.delivered === MESSAGES,
    do_calls_per_delivery: 0,
    fifo,
    unordered,
    extra_d1_rows_written_per_delivery: minus(fifo.d1_rows_written_per_delivery, unordered.d1_rows_written_per_delivery),
    extra_d1_round_trips_per_delivery: minus(fifo.d1_round_trips_per_delivery, unordered.d1_round_trips_per_delivery),
  };
}

/** Where the phase's figures go in BENCHMARKS.md. */
export const FIFO_SECTION = { marker: "bench-fifo", heading: "Latest fifo run" };

/** The BENCHMARKS.md section of the phase. */
export function renderFifo(r: FifoResult): string {
  const row = (name: string, run: FifoRun) =>
    `| ${name} | ${run.delivered} | ${run.d1_rows_written_per_delivery} | ${run.d1_round_trips_per_delivery} | ${run.d1_rows_read_per_delivery} | ${run.queue_messages_handled_per_delivery} |`;
  return [
    `${r.messages} messages over ${r.keys} ordering keys, enqueued one by one (\`npm run bench -- --phase fifo\`), to an endpoint`,
    `without ordering and then to a FIFO endpoint; every key's messages arrived in enqueue order: **${r.in_order}**.`,
    "",
    "| endpoint | delivered | D1 rows written / delivery | D1 round trips / delivery | D1 rows read / delivery | queue messages handled / delivery |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    row("ordering none", r.unordered),
    row("ordering fifo", r.fifo),
    "",
    `FIFO adds ${r.extra_d1_rows_written_per_delivery} D1 rows written and ${r.extra_d1_round_trips_per_delivery} D1 round trips per delivery, and makes ${r.do_calls_per_delivery} Durable Object calls.`,
  ].join("\n");
}
