import type { Unreadable } from "../../../src/delivery/decide";
import type { DeliveryWork } from "../../../src/db/delivery-work";
import type { AttemptRecord, Cancellation, DeferredClaim } from "../../../src/db/batch-records";
import type { EndpointHealth } from "../../../src/db/endpoint-health";
import type { QueueMessage } from "../../../src/delivery/jobs";
import type { Lane } from "../../../src/delivery/lanes";
import type { ConsumerPorts, Timers } from "../../../src/delivery/ports";
import type { SendResult } from "../../../src/delivery/send";
import type { Requeue } from "../../../src/delivery/settle";
import type { StatsRollup } from "../../../src/lib/endpoint-stats";
import type { DeliveryTask } from "../../../src/delivery/task";

/** Time that moves only when the test says so: `advance` fires due timers in order. */
export class FakeTime implements Timers {
  now = Date.UTC(2026, 11, 7, 12, 0, 0);
  #timers: Array<{ at: number; fn: () => void }> = [];

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.now + ms, fn };
    this.#timers.push(timer);
    return () => (this.#timers = this.#timers.filter((t) => t !== timer));
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** Moves time forward by `ms`, firing each due timer at its own time and letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.at);
      due.fn();
    }
    this.now = end;
    await settle();
  }
}

/** Lets every promise chain that can move on do so. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

let serial = 0;

/** A due, pending delivery row of an endpoint in the main lane on data shard `shard`, with the task that names it. */
export function delivery(endpointId: string, overrides: Partial<DeliveryWork> = {}, shard = 0): { work: DeliveryWork; task: DeliveryTask } {
  serial++;
  const id = `00000000-0000-4000-8000-${String(serial).padStart(12, "0")}`;
  const work: DeliveryWork = {
    id, tenant_id: "t1", message_id: `msg_${serial}`, endpoint_id: endpointId, url: null, status: "pending", attempts: 0, attempt_base: 0,
    queue_token: `token-${serial}`, enqueued_at: Date.UTC(2026, 11, 7, 11, 59, 59), next_attempt_at: null, last_attempt_at: null, fifo_seq: null,
    payload: null, payload_r2: 0, endpoint_exists: 1, endpoint_url: `https://receiver.example/${endpointId}`, endpoint_enabled: 1,
    endpoint_headers: null, endpoint_signature: null, endpoint_retry: null, endpoint_timeout_ms: 30_000, endpoint_rate_limit: null,
    endpoint_max_in_flight: null, endpoint_slow_since: null, endpoint_secret_version: 0, endpoint_created_at: Date.UTC(2026, 11, 7, 11), tenant_secret_version: null,
    head_id: null, head_next_attempt_at: null, head_distance: null, ...overrides,
  };
  return { work, task: { delivery_id: id, tenant_id: work.tenant_id, endpoint_id: endpointId, token: work.queue_token, shard } };
}

/** A queue message that notes what it was told. */
export function message(body: unknown, attempts = 1): QueueMessage & { told: Array<{ kind: "ack" } | { kind: "retry"; delaySeconds?: number }> } {
  const told: Array<{ kind: "ack" } | { kind: "retry"; delaySeconds?: number }> = [];
  return { id: `m${++serial}`, body, attempts, told, ack: () => told.push({ kind: "ack" }), retry: (o) => told.push({ kind: "retry", delaySeconds: o?.delaySeconds }) };
}

export const answer = (statusCode: number, durationMs = 20): SendResult => ({
  outcome: statusCode < 300 ? "ok" : "retryable",
  statusCode,
  errorKind: statusCode < 300 ? null : "http_status",
  error: statusCode < 300 ? null : `Receiver answered ${statusCode}`,
  durationMs,
  responseBody: "ok",
  retryAfterSeconds: null,
});

/** A request the test answers by hand: `answer(result)` ends it. */
export interface OpenRequest {
  deliveryId: string;
  answer: (result: SendResult) => void;
}

/**
 * In-memory ports: D1 rows by shard (a shard listed in `failing` refuses every call), receivers by
 * endpoint id (an Unreadable stands for a secret or payload the platform could not give; "hang" leaves the request open in `open`; `after` answers once that many ms have passed), queues that keep what they are sent.
 */
export function fakePorts(time: FakeTime, rows: DeliveryWork[], receivers: Record<string, SendResult | Unreadable | "hang" | { after: number; result: SendResult }>, failing: { load?: number[]; record?: number[] } = {}) {
  const open: OpenRequest[] = [];
  const sentTo: string[] = [];
  const recorded: Array<{ shard: number; attempts: AttemptRecord[]; cancellations: Cancellation[]; health: EndpointHealth[]; stats: StatsRollup[]; deferredClaims: DeferredClaim[] }> = [];
  const requeued: Array<Requeue & { lane: Lane }> = [];
  const background: Array<Promise<unknown>> = [];
  const calls = { load: 0, record: 0 };
  const ports: ConsumerPorts = {
    clock: () => time.now,
    random: () => 0.5,
    timers: time,
    config: { SWEEP_STUCK_AFTER_SECONDS: 600 },
    hasShard: (shard) => shard < 2,
    store: {
      async load(shard, refs) {
        calls.load++;
        if (failing.load?.includes(shard)) throw new Error("D1 overloaded");
        return new Map(rows.filter((r) => refs.some((ref) => ref.delivery_id === r.id)).map((r) => [r.id, r]));
      },
      renewClaims: async (_shard, claims) => new Set(claims.map((c) => c.delivery_id)),
      async record(shard, attempts, cancellations, health, stats, deferredClaims) {
        calls.record++;
        if (failing.record?.includes(shard)) throw new Error("D1 overloaded");
        recorded.push({ shard, attempts, cancellations, health, stats, deferredClaims });
        return { live: new Set(attempts.map((a) => a.deliveryId)), transitions: [], woken: [] };
      },
    },
    deliver: (job, _now, around) =>
      around(() => {
        sentTo.push(job.work.id);
        const planned = receivers[job.work.endpoint_id] ?? answer(200);
        if (planned === "hang") return new Promise<SendResult>((resolve) => open.push({ deliveryId: job.work.id, answer: resolve }));
        if ("after" in planned) return time.sleep(planned.after).then(() => planned.result);
        return Promise.resolve(planned);
      }),
    requeue: async (lane, groups) => void requeued.push(...groups.map((g) => ({ ...g, lane }))),
    events: async () => {},
    waitUntil: (work) => void background.push(work),
  };
  return { ports, open, sentTo, recorded, requeued, background, calls };
}
