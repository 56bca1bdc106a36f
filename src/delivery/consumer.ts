import { readConfig } from "../config";
import { DEFAULT_TIMEOUT_MS } from "../limits";
import {
  loadDeliveryWork,
  recordBatchResults,
  type AttemptRecord,
  type Cancellation,
  type DeliveryWork,
  type EndpointHealth,
} from "../db/delivery-work";
import { activeSecrets, readSecretSet, type SecretOwner } from "../secrets";
import { targetPolicyOf, type TargetPolicy } from "../security/target-guard";
import { MAX_QUEUE_DELAY_SECONDS, maxAttempts, retryDelaySeconds, type RetryConfig } from "./backoff";
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
  if (work.endpoint_id !== null && !work.endpoint_exists) return { kind: "cancel", reason: "Endpoint was deleted" };
  if (work.endpoint_id !== null && !work.endpoint_enabled) return { kind: "cancel", reason: "Endpoint is disabled" };
  if (work.next_attempt_at !== null && work.next_attempt_at > now + EARLY_TOLERANCE_MS) {
    // A wait longer than Queues' 12 h limit arrives in hops; this is one of them.
    return { kind: "wait", seconds: Math.min(Math.ceil((work.next_attempt_at - now) / 1000), MAX_QUEUE_DELAY_SECONDS) };
  }
  return { kind: "send", work };
}

function ownerOf(work: DeliveryWork): SecretOwner {
  return work.endpoint_id ? { kind: "endpoint", id: work.endpoint_id } : { kind: "tenant", id: work.tenant_id };
}

async function attemptDelivery(env: Env, work: DeliveryWork, policy: TargetPolicy, now: number): Promise<SendResult> {
  let secrets: string[];
  try {
    const set = await readSecretSet(env, ownerOf(work), { cached: true });
    if (!set) throw new Error("no signing secret stored");
    secrets = activeSecrets(set, now);
  } catch (error) {
    // Fail closed: never send unsigned. Logged without the secret; retried like any failure.
    console.error(`delivery ${work.id}: signing secret unavailable: ${(error as Error).message}`);
    return {
      outcome: "retryable",
      statusCode: null,
      errorKind: "secret_unavailable",
      error: "Signing secret unavailable; nothing was sent",
      durationMs: 0,
      responseBody: null,
      retryAfterSeconds: null,
    };
  }
  return send({
    url: work.endpoint_url ?? work.url!,
    messageId: work.message_id,
    body: work.payload,
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
  const attempt = work.attempts + 1;
  const retry: RetryConfig = work.endpoint_retry ? JSON.parse(work.endpoint_retry) : {};
  const attemptInCycle = attempt - work.attempt_base;
  let status: AttemptRecord["status"];
  let delaySeconds: number | null = null;
  if (result.outcome === "ok") status = "succeeded";
  else if (result.outcome === "permanent" || attemptInCycle >= maxAttempts(retry)) status = "failed";
  else {
    status = "retrying";
    delaySeconds = Math.max(retryDelaySeconds(retry, attemptInCycle, random), result.retryAfterSeconds ?? 0);
  }
  return {
    deliveryId: work.id,
    queueToken: work.queue_token,
    endpointId: work.endpoint_id,
    attempt,
    outcome: result.outcome,
    statusCode: result.statusCode,
    errorKind: result.errorKind,
    error: result.error,
    durationMs: result.durationMs,
    responseBody: result.responseBody,
    at: now,
    status,
    nextAttemptAt: delaySeconds === null ? null : now + delaySeconds * 1000,
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
 * The delivery queue consumer: one D1 read for the batch, signed sends with bounded concurrency,
 * one D1 batch for every result, then ack or retry-with-delay per message. If recording fails the
 * handler throws, so Queues retries the batch (and dead-letters it if that keeps happening).
 */
export async function consumeDeliveries(
  batch: MessageBatch<unknown>,
  env: Env,
  now = Date.now(),
  random: () => number = Math.random,
): Promise<void> {
  const policy = targetPolicyOf(readConfig(env));
  const tasks = batch.messages.map((m) => {
    const parsed = DeliveryTask.safeParse(m.body);
    if (!parsed.success) console.error(`queue message ${m.id} is not a delivery task; dropped`);
    return parsed.success ? parsed.data : null;
  });
  const ids = tasks.flatMap((t) => (t ? [t.delivery_id] : []));
  const rows = ids.length > 0 ? await loadDeliveryWork(env.DB, ids) : new Map<string, DeliveryWork>();
  const planned = new Set<string>();
  const plans = tasks.map((task) => {
    // The same delivery twice in one batch (an at-least-once duplicate) is sent once.
    const duplicate = task !== null && planned.has(task.delivery_id);
    if (task) planned.add(task.delivery_id);
    return duplicate ? ({ kind: "ack" } as const) : plan(task, task ? rows.get(task.delivery_id) : undefined, now);
  });

  const sending = plans.flatMap((p, index) => (p.kind === "send" ? [{ index, work: p.work }] : []));
  const results = await mapWithConcurrency(sending, SEND_CONCURRENCY, ({ work }) => attemptDelivery(env, work, policy, Date.now()));
  const finishedAt = Date.now();
  const outcomes = sending.map(({ index, work }, i) => ({ index, record: outcomeOf(work, results[i]!, Math.max(now, finishedAt), random) }));
  const cancellations: Cancellation[] = plans.flatMap((p, index) =>
    p.kind === "cancel" ? [{ deliveryId: tasks[index]!.delivery_id, queueToken: tasks[index]!.token, reason: p.reason, at: now }] : [],
  );
  const records = outcomes.map((o) => o.record);
  await recordBatchResults(env.DB, records, cancellations, healthOf(records));

  const retryDelay = new Map(outcomes.map((o) => [o.index, o.record.delaySeconds]));
  batch.messages.forEach((message, index) => {
    const p = plans[index]!;
    const delay = p.kind === "wait" ? p.seconds : retryDelay.get(index);
    if (delay === undefined || delay === null) message.ack();
    else message.retry({ delaySeconds: Math.min(delay, MAX_QUEUE_DELAY_SECONDS) });
  });
}
