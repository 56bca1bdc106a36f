// What every phase of the bench shares: its settings, the tenant it sets up, and access to the
// relay (API and bench counters) and the receiver.
import type { Counters, HandlerKind } from "../instrument.ts";
import type { Arrival, RunReport } from "../receiver.ts";

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

export type RunName = "ingest" | "delivery" | "paced" | "retry" | "storage" | "isolation" | "hang" | "turn";

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
  /** Messages of realistic 4 KiB extraction payloads whose storage and cost are measured. */
  storageMessages: 1000,
  /** Phase 7: messages to a healthy endpoint, alone and then beside a receiver that never answers. */
  isolationMessages: 90,
  hangingMessages: 18,
  hangTimeoutMs: 10_000,
  enqueueCapSeconds: 20,
  drainCapSeconds: 45,
} as const;

const json = { "content-type": "application/json" };

export async function call<T>(bench: Pick<Bench, "relayUrl">, token: string, method: string, path: string, body?: unknown): Promise<T> {
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
  const endpoint = async (run: RunName, behaviour: "ok" | "fail-first" | "hang" | "turn", settings: Record<string, unknown> = {}) =>
    (await call<{ id: string }>(base, relay.adminToken, "POST", `/v1/tenants/${tenant.id}/endpoints`, {
      url: `${receiver.url}/${behaviour}/${run}`,
      events: [`bench.${run}`],
      ...settings,
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
      storage: await endpoint("storage", "ok"),
      isolation: await endpoint("isolation", "ok"),
      // Phase 7's receiver that never answers: one attempt each, cut at SETTINGS.hangTimeoutMs.
      hang: await endpoint("hang", "hang", { timeout_ms: SETTINGS.hangTimeoutMs, retry: { max_attempts: 1 } }),
      // And one that answers its first request at once (so it earns the main lane), then never again.
      turn: await endpoint("turn", "turn", { timeout_ms: SETTINGS.hangTimeoutMs, retry: { max_attempts: 1 } }),
    },
  };
}

export const enqueueUrl = (bench: Bench) => `${bench.relayUrl}/v1/tenants/${bench.tenantId}/messages`;
// Enqueues use the admin token, as the platform does (DESIGN.md); a tenant key costs the same once
// this isolate has verified it (one D1 lookup per key per 10 s, src/security/auth.ts).
export const enqueueHeaders = (bench: Bench) => ({ authorization: `Bearer ${bench.adminToken}`, ...json });

/** Polls `check` every 200 ms until it is true or `capSeconds` pass; returns whether it became true. */
export async function waitFor(check: () => Promise<boolean>, capSeconds: number): Promise<boolean> {
  const deadline = Date.now() + capSeconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

async function deliveredCount(bench: Pick<Bench, "receiverUrl">, run: string): Promise<number> {
  return ((await (await fetch(`${bench.receiverUrl}/_count/${run}`)).json()) as { delivered: number }).delivered;
}

export async function receiverReport(bench: Pick<Bench, "receiverUrl">, run: string): Promise<RunReport> {
  return (await (await fetch(`${bench.receiverUrl}/_report/${run}`)).json()) as RunReport;
}

/** The bench's counters in the relay (bench mode), per kind of handler. */
async function counters(bench: Pick<Bench, "relayUrl">): Promise<Record<HandlerKind, Counters>> {
  return (await (await fetch(`${bench.relayUrl}/_bench/counters`)).json()) as Record<HandlerKind, Counters>;
}

/**
 * The counters once no consumer batch is running: a batch records its results after the receiver
 * has answered, so a phase's last batch must finish before its counts are read.
 */
export async function quietCounters(bench: Pick<Bench, "relayUrl">): Promise<Record<HandlerKind, Counters>> {
  await waitFor(async () => (await counters(bench)).consumer.inFlight === 0, 10);
  return counters(bench);
}

function minus(after: Counters, before: Counters): Counters {
  const out = { ...after };
  for (const key of Object.keys(out) as Array<keyof Counters>) out[key] = after[key] - before[key];
  return out;
}

/** `minus` for every kind of handler: what a phase cost, from the counters before and after it. */
export function phaseCounters(after: Record<HandlerKind, Counters>, before: Record<HandlerKind, Counters>): Record<HandlerKind, Counters> {
  return {
    api: minus(after.api, before.api),
    consumer: minus(after.consumer, before.consumer),
    deadLetters: minus(after.deadLetters, before.deadLetters),
    sweeper: minus(after.sweeper, before.sweeper),
  };
}

/** How many of an endpoint's deliveries D1 holds in `status` (read through the API). */
export async function deliveriesIn(bench: Bench, run: RunName, status: string): Promise<number> {
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

/** The attempts of a message that the receiver answered with 200. */
export function succeeded(arrival: Arrival): Array<{ at: number; status: number }> {
  return arrival.attempts.filter((a) => a.status === 200);
}
/** Waits (bounded) until the receiver has `expected` messages of a run. */
export async function drain(bench: Pick<Bench, "receiverUrl">, run: string, expected: number): Promise<boolean> {
  return waitFor(async () => (await deliveredCount(bench, run)) >= expected, SETTINGS.drainCapSeconds);
}

/**
 * Sends one message of `event` and waits until its quick answer is recorded: its endpoint, new and
 * so in the slow lane, is then in the main lane (src/delivery/lanes.ts). Returns the message id.
 */
export async function earnMainLane(bench: Bench, event: string): Promise<string> {
  const path = `/v1/tenants/${bench.tenantId}/messages`;
  const { id } = await call<{ id: string }>(bench, bench.adminToken, "POST", path, { event, payload: {} });
  const answered = async () => {
    const message = await call<{ deliveries: Array<{ status: string }> }>(bench, bench.adminToken, "GET", `${path}/${id}`);
    return message.deliveries[0]?.status === "succeeded";
  };
  if (!(await waitFor(answered, SETTINGS.drainCapSeconds))) throw new Error(`the first ${event} message was not delivered`);
  return id;
}
