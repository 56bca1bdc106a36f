import { readConfig, type Config } from "../config";
import { DEFAULT_TIMEOUT_MS } from "../limits";
import {
  loadDeliveryWork,
  recordBatchResults,
  renewClaims,
  type AttemptRecord,
  type Cancellation,
  type DeliveryWork,
  type EndpointHealth,
} from "../db/delivery-work";
import { activeSecrets, readSecretSet, type SecretOwner } from "../secrets";
import { readPayload } from "../payloads";
import { targetPolicyOf, type TargetPolicy } from "../security/target-guard";
import { MAX_QUEUE_DELAY_SECONDS, maxAttempts, retryDelaySeconds, type RetryConfig } from "./backoff";
import { claimLapsesDuring, SECRET_READ_BOUND_MS, SEND_BUDGET_MS } from "./claim";
import { send, type SendResult } from "./send";
import type { SignatureConfig } from "./signing";
import { DeliveryTask } from "./task";

/**
 * Workers allow six simultaneous outbound connections per invocation; more fetches would only
 * queue inside the runtime while their timeout clocks run. Six at a time keeps timeouts honest.
 */
const SEND_CONCURRENCY = 6;
/** A message arriving this early for its next attempt is still "on time". */
const EARLY_TOLERANCE_MS = 1_000;
/** A delivery the batch had no time left to send comes back this soon, with no attempt counted. */
const DEFERRED_DELAY_SECONDS = 1;

type Plan =
  | { kind: "ack" }
  | { kind: "wait"; seconds: number }
  | { kind: "cancel"; reason: string }
  | { kind: "send"; work: DeliveryWork };

/** Decides, without side effects, what to do with one queue message given the delivery's row. */
function plan(task: DeliveryTask | null, work: DeliveryWork | undefined, now: number): Plan {
  if (!task || !work) return { kind: "ack" }; // malformed, or the delivery was purged
  if (work.queue_token !== task.token) return { kind: "ack" }; // superseded by a replay or sweep
  if (work.status !== "pending" && work.status !== "retrying") return { kind: "ack" }; // already final
  if (work.endpoint_id !== "" && !work.endpoint_exists) return { kind: "cancel", reason: "Endpoint was deleted" };
  if (work.endpoint_id !== "" && !work.endpoint_enabled) return { kind: "cancel", reason: "Endpoint is disabled" };
  if (work.next_attempt_at !== null && work.next_attempt_at > now + EARLY_TOLERANCE_MS) {
    // A wait longer than Queues' 12 h limit arrives in hops; this is one of them.
    return { kind: "wait", seconds: Math.min(Math.ceil((work.next_attempt_at - now) / 1000), MAX_QUEUE_DELAY_SECONDS) };
  }
  return { kind: "send", work };
}

function ownerOf(work: DeliveryWork): SecretOwner {
  return work.endpoint_id ? { kind: "endpoint", id: work.endpoint_id } : { kind: "tenant", id: work.tenant_id };
}

/** Settles with `promise`, or rejects with `message` once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A failed attempt that sent nothing (fail closed: never unsigned, never a wrong body); logged, retried like any failure. */
function unsent(work: DeliveryWork, log: string, errorKind: SendResult["errorKind"], error: string): SendResult {
  console.error(`delivery ${work.id}: ${log}`);
  return { outcome: "retryable", statusCode: null, errorKind, error, durationMs: 0, responseBody: null, retryAfterSeconds: null };
}

async function attemptDelivery(env: Env, work: DeliveryWork, policy: TargetPolicy, now: number): Promise<SendResult> {
  let secrets: string[];
  let body: string;
  try {
    // Bounded like every step of a send, so a batch's lifetime stays bounded (src/delivery/claim.ts).
    const set = await within(readSecretSet(env, ownerOf(work), { cached: true }), SECRET_READ_BOUND_MS, "reading it timed out");
    if (!set) throw new Error("no signing secret stored");
    secrets = activeSecrets(set, now);
  } catch (error) {
    return unsent(work, `signing secret unavailable: ${(error as Error).message}`, "secret_unavailable", "Signing secret unavailable; nothing was sent");
  }
  try {
    body = await readPayload(env, work);
  } catch (error) {
    return unsent(work, `payload unreadable: ${(error as Error).message}`, "payload_unavailable", "Payload unavailable; nothing was sent");
  }
  return send({
    url: work.endpoint_url ?? work.url!,
    messageId: work.message_id,
    body,
    headers: work.endpoint_headers ? JSON.parse(work.endpoint_headers) : {},
    signature: work.endpoint_signature ? (JSON.parse(work.endpoint_signature) as SignatureConfig) : { scheme: "standard" },
    secrets,
    timeoutMs: work.endpoint_timeout_ms ?? DEFAULT_TIMEOUT_MS,
    policy,
    now,
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function mapWithConcurrency<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The attempt record and delivery state that one send result leads to. */
function outcomeOf(work: DeliveryWork, result: SendResult, now: number, random: () => number): AttemptRecord & { delaySeconds: number | null } {
  const retry: RetryConfig = work.endpoint_retry ? JSON.parse(work.endpoint_retry) : {};
  const attemptInCycle = work.attempts + 1 - work.attempt_base;
  let status: AttemptRecord["status"];
  let delaySeconds: number | null = null;
  if (result.outcome === "ok") status = "succeeded";
  else if (result.outcome === "permanent" || attemptInCycle >= maxAttempts(retry)) status = "failed";
  else {
    status = "retrying";
    delaySeconds = Math.max(retryDelaySeconds(retry, attemptInCycle, random), result.retryAfterSeconds ?? 0);
  }
  // Recording compares last_attempt_at with what this batch read, so a live record must change it.
  const at = Math.max(now, (work.last_attempt_at ?? 0) + 1);
  return {
    deliveryId: work.id,
    tenantId: work.tenant_id,
    endpointId: work.endpoint_id,
    queueToken: work.queue_token,
    seenLastAttemptAt: work.last_attempt_at,
    outcome: result.outcome,
    statusCode: result.statusCode,
    errorKind: result.errorKind,
    error: result.error,
    durationMs: result.durationMs,
    responseBody: result.responseBody,
    at,
    status,
    nextAttemptAt: delaySeconds === null ? null : at + delaySeconds * 1000,
    delaySeconds,
  };
}

function healthOf(records: AttemptRecord[]): EndpointHealth[] {
  const byEndpoint = new Map<string, EndpointHealth>();
  for (const r of records) {
    if (!r.endpointId) continue;
    const h = byEndpoint.get(r.endpointId) ?? { endpointId: r.endpointId, succeeded: false, failedAt: null, gone: false };
    if (r.outcome === "ok") h.succeeded = true;
    else h.failedAt = r.at;
    if (r.errorKind === "gone") h.gone = true;
    byEndpoint.set(r.endpointId, h);
  }
  return [...byEndpoint.values()];
}

/**
 * Plans every message of a batch. Of several messages for one delivery (an at-least-once duplicate,
 * or replays in quick succession) only one is acted on: the one carrying the row's live token, so
 * a stale message never stands in for the live one. The others are acked.
 */
function planBatch(tasks: Array<DeliveryTask | null>, rows: Map<string, DeliveryWork>, now: number): Plan[] {
  const chosen = new Map<string, number>();
  tasks.forEach((task, index) => {
    if (!task) return;
    const current = chosen.get(task.delivery_id);
    const live = rows.get(task.delivery_id)?.queue_token;
    if (current === undefined || (task.token === live && tasks[current]!.token !== live)) chosen.set(task.delivery_id, index);
  });
  return tasks.map((task, index) => {
    if (task && chosen.get(task.delivery_id) !== index) return { kind: "ack" };
    return plan(task, task ? rows.get(task.delivery_id) : undefined, now);
  });
}

/**
 * Renews the claims that would lapse before this batch could end (src/delivery/claim.ts), and turns
 * the sends of deliveries the batch no longer holds (re-armed, replayed or finished meanwhile) into acks.
 */
async function holdClaims(db: D1Database, plans: Plan[], startedAt: number, config: Config): Promise<Plan[]> {
  const lapsing = plans.flatMap((p) => (p.kind === "send" && claimLapsesDuring(p.work, startedAt, config) ? [p.work] : []));
  if (lapsing.length === 0) return plans;
  const held = await renewClaims(
    db,
    lapsing.map((w) => ({ tenant_id: w.tenant_id, endpoint_id: w.endpoint_id, delivery_id: w.id, queue_token: w.queue_token })),
    startedAt,
  );
  return plans.map((p) => (p.kind === "send" && lapsing.includes(p.work) && !held.has(p.work.id) ? { kind: "ack" } : p));
}

/** What the consumer tells Queues about one message: done, or bring it back after a delay. */
type Verdict = { kind: "ack" } | { kind: "retry"; delaySeconds: number };

/** A planned send: its record, or null when the batch's send budget ran out before it started. */
type Sent = { index: number; record: (AttemptRecord & { delaySeconds: number | null }) | null };

/** Decides, in one spot, what Queues hears about each message once the batch's results are recorded. */
function verdictsOf(plans: Plan[], sent: Sent[], live: Set<string>): Verdict[] {
  const verdicts = plans.map((p): Verdict => (p.kind === "wait" ? { kind: "retry", delaySeconds: p.seconds } : { kind: "ack" }));
  for (const { index, record } of sent) {
    if (!record) verdicts[index] = { kind: "retry", delaySeconds: DEFERRED_DELAY_SECONDS };
    // A stale record's queue chain was replaced or continued by another message: this one is done.
    else if (live.has(record.deliveryId) && record.delaySeconds !== null) verdicts[index] = { kind: "retry", delaySeconds: record.delaySeconds };
  }
  return verdicts;
}

/** Clock and randomness of a consumer run; tests move the clock and fix the jitter. */
export interface ConsumeOptions {
  /** Epoch ms now; Date.now by default. */
  clock?: () => number;
  /** Uniform in [0, 1), for retry jitter; Math.random by default. */
  random?: () => number;
}

/**
 * The delivery queue consumer: one D1 read for the batch, signed sends with bounded concurrency
 * within the batch's send budget, one D1 batch for every result, then ack or retry-with-delay per
 * message. A delivery the budget left unsent goes back to the queue without an attempt counted.
 * If recording fails the handler throws, so Queues retries the batch (and dead-letters it if that
 * keeps happening).
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env, options: ConsumeOptions = {}): Promise<void> {
  const clock = options.clock ?? Date.now;
  const random = options.random ?? Math.random;
  const startedAt = clock();
  const config = readConfig(env);
  const policy = targetPolicyOf(config);
  const tasks = batch.messages.map((m) => {
    const parsed = DeliveryTask.safeParse(m.body);
    if (!parsed.success) console.error(`queue message ${m.id} is not a delivery task; dropped`);
    return parsed.success ? parsed.data : null;
  });
  const refs = tasks.flatMap((t) => (t ? [t] : []));
  const rows = refs.length > 0 ? await loadDeliveryWork(env.DB, refs) : new Map<string, DeliveryWork>();
  const plans = await holdClaims(env.DB, planBatch(tasks, rows, startedAt), startedAt, config);

  // Messages that came back before (a deferral, a retry) go first, so none is deferred batch after batch.
  const sending = plans
    .flatMap((p, index) => (p.kind === "send" ? [{ index, work: p.work }] : []))
    .sort((a, b) => batch.messages[b.index]!.attempts - batch.messages[a.index]!.attempts);
  const results = await mapWithConcurrency(sending, SEND_CONCURRENCY, ({ work }) =>
    clock() - startedAt < SEND_BUDGET_MS ? attemptDelivery(env, work, policy, clock()) : Promise.resolve(null),
  );
  const finishedAt = Math.max(startedAt, clock());
  const sent: Sent[] = sending.map(({ index, work }, i) => ({
    index,
    record: results[i] ? outcomeOf(work, results[i], finishedAt, random) : null,
  }));
  const cancellations: Cancellation[] = plans.flatMap((p, index) =>
    p.kind === "cancel"
      ? [{ deliveryId: tasks[index]!.delivery_id, tenantId: tasks[index]!.tenant_id, endpointId: tasks[index]!.endpoint_id, queueToken: tasks[index]!.token, reason: p.reason, at: startedAt }]
      : [],
  );
  const records = sent.flatMap((s) => (s.record ? [s.record] : []));
  const live = await recordBatchResults(env.DB, records, cancellations, healthOf(records));

  verdictsOf(plans, sent, live).forEach((verdict, index) => {
    const message = batch.messages[index]!;
    if (verdict.kind === "ack") message.ack();
    else message.retry({ delaySeconds: Math.min(verdict.delaySeconds, MAX_QUEUE_DELAY_SECONDS) });
  });
}
