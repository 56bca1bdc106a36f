import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { buildApp } from "../../src/app";
import { consumeDeliveries } from "../../src/delivery/consumer";
import { sweep } from "../../src/delivery/sweeper";
import type { DeliveryTask } from "../../src/delivery/task";
import { ADMIN, buildRequest } from "./api";
import { rowOnAnyShard } from "./shards";

/**
 * Calls the Worker's own fetch handler (src/index.ts, which reads ALLOW_FAULT_INJECTION and
 * EDGEHOOK_FAULTS) as the admin, with `vars` added to the test env.
 */
export async function fetchWith(vars: Record<string, string>, method: string, path: string, body?: unknown): Promise<Response> {
  return await worker.fetch(buildRequest(method, path, { body }) as Request<unknown, IncomingRequestCfProperties>, { ...env, ...vars } as Env, createExecutionContext());
}

/**
 * One run of the Worker's cron handler as if it fired at `at` (epoch ms, now unless given), with
 * `vars` added to the test env.
 * @throws Error naming the shards the sweep failed on, as the handler does
 */
export async function cronWith(vars: Record<string, string> = {}, at = Date.now()): Promise<void> {
  await worker.scheduled!(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), { ...env, ...vars } as Env);
}

/** A queue producer that keeps what it is sent instead of delivering it (or fails, if asked). */
export type HoldingQueue = ReturnType<typeof holdingQueue>;

/**
 * A stand-in for the DELIVERIES queue: every body sent is kept in `sent` (with the delay it asked
 * for at the same index of `delays`), nothing is delivered. `calls` counts send and sendBatch calls.
 */
export function holdingQueue(options: { fail?: boolean } = {}) {
  const sent: DeliveryTask[] = [];
  const delays: Array<number | undefined> = [];
  const counts = { calls: 0 };
  const queue = {
    async send(body: DeliveryTask, sendOptions?: QueueSendOptions) {
      counts.calls++;
      if (options.fail) throw new Error("queue unavailable");
      sent.push(body);
      delays.push(sendOptions?.delaySeconds);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<DeliveryTask>>) {
      counts.calls++;
      if (options.fail) throw new Error("queue unavailable");
      for (const m of messages) {
        sent.push(m.body);
        delays.push(m.delaySeconds);
      }
    },
  } as unknown as Queue;
  return { queue, sent, delays, counts };
}

/** Calls the API as the admin with the delivery queue held back; returns the response and the queue messages it produced (with the delay each asked for). */
export async function apiHeld(method: string, path: string, body?: unknown, options: { failQueue?: boolean; headers?: Record<string, string> } = {}) {
  const { queue, sent, delays, counts } = holdingQueue({ fail: options.failQueue });
  const res = await buildApp().fetch(
    new Request(`https://edgehook.test${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json", ...options.headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    { ...env, DELIVERIES: queue },
    createExecutionContext(),
  );
  return { res, tasks: sent, delays, queueCalls: counts.calls };
}

/**
 * Enqueues through the real API but with the delivery queue held back, so a test can feed the
 * consumer itself. Returns the 202 body and the queue messages the API produced.
 */
export async function enqueueHeld(tenantId: string, body: unknown, options: { failQueue?: boolean } = {}) {
  const { res, tasks } = await apiHeld("POST", `/v1/tenants/${tenantId}/messages`, body, options);
  if (res.status !== 202) throw new Error(`enqueue: ${res.status} ${await res.text()}`);
  return { message: (await res.json()) as { id: string; deliveries: Array<{ id: string; endpoint_id: string | null }> }, tasks };
}

/** Replays a delivery through the real API with the queue held back; returns the queue message it produced. */
export async function replayHeld(tenantId: string, deliveryId: string): Promise<DeliveryTask> {
  const { res, tasks } = await apiHeld("POST", `/v1/tenants/${tenantId}/deliveries/${deliveryId}/retry`);
  if (res.status !== 202) throw new Error(`replay: ${res.status} ${await res.text()}`);
  return tasks[0]!;
}

/**
 * Runs the sweeper as if at `at` (epoch ms) with the queue held back, within `queries` D1 queries
 * (the production budget unless given); returns the queue messages it produced.
 */
export async function sweepHeld(at: number, sweepEnv: Env = env, queries?: number): Promise<DeliveryTask[]> {
  const { queue, sent } = holdingQueue();
  await sweep({ ...sweepEnv, DELIVERIES: queue }, at, queries);
  return sent;
}

/** The delivery queues of wrangler.toml: the main lane and the slow lane (src/delivery/lanes.ts). */
export const MAIN_LANE = "edgehook-deliveries";
export const SLOW_LANE = "edgehook-deliveries-slow";

/**
 * Runs the delivery consumer on a batch made of `tasks` and returns Queues' view of acks and retries.
 * `now` starts the consumer's clock at that time (it then runs at the real pace); `clock` replaces it.
 * `attempts` is how many times Queues has delivered each message (1, its first delivery, by default).
 * `queue` is the lane the batch comes from: the slow lane by default, whose consumer sends to every
 * endpoint (a new endpoint starts there); the main lane forwards such endpoints' deliveries instead
 * (test/delivery-lanes.test.ts).
 */
export async function consume(
  tasks: unknown[],
  options: { now?: number; clock?: () => number; random?: () => number; env?: Env; attempts?: number; queue?: string } = {},
) {
  const batch = createMessageBatch(
    options.queue ?? SLOW_LANE,
    tasks.map((body, i) => ({ id: `msg-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: options.attempts ?? 1, body })),
  );
  const offset = options.now === undefined ? 0 : options.now - Date.now();
  const clock = options.clock ?? (() => Date.now() + offset);
  // getQueueResult() reports which messages were retried but drops their delaySeconds, so the
  // delay each retry() asked for is noted on the way through.
  const delays = new Map<string, number | undefined>();
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    message.retry = (retryOptions?: QueueRetryOptions) => {
      delays.set(message.id, retryOptions?.delaySeconds);
      retry(retryOptions);
    };
  }
  const ctx = createExecutionContext();
  await consumeDeliveries(batch, options.env ?? env, { clock, random: options.random });
  const result = await getQueueResult(batch, ctx);
  const retryMessages = result.retryMessages.map((r) => ({ ...r, delaySeconds: delays.get(r.msgId) }));
  const ids = batch.messages.map((m) => m.id);
  /** The bodies of the messages Queues would bring back, to feed a later consume(). */
  const retried = retryMessages.map((r) => tasks[ids.indexOf(r.msgId)]);
  return { result: { ...result, retryMessages }, ids, retried };
}

/** A delivery row as its data shard holds it, or null (an error if two shards hold it). */
export function deliveryRow(id: string) {
  return rowOnAnyShard("SELECT * FROM deliveries WHERE id = ?", id);
}
