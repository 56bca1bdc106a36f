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
import { isShardIndex, shardDb } from "../shards";
import { MAX_QUEUE_DELAY_SECONDS, maxAttempts, retryDelaySeconds, type RetryConfig } from "./backoff";
import { claimLapsesDuring, SECRET_READ_BOUND_MS, SEND_BUDGET_MS } from "./claim";
import { send, type SendResult } from "./send";
import type { SignatureConfig } from "./signing";
import { requeueTasks, tasksOf, type DeliveryTask } from "./task";

/**
 * Workers allow six simultaneous outbound connections per invocation; more fetches would only
 * queue inside the runtime while their timeout clocks run. Six at a time keeps timeouts honest.
 */
const SEND_CONCURRENCY = 6;
/** A message arriving this early for its next attempt is still "on time". */
const EARLY_TOLERANCE_MS = 1_000;
/** A delivery the batch had no time left to send comes back this soon, with no attempt counted. */
const DEFERRED_DELAY_SECONDS = 1;
/**
 * A message whose shard could not be read, or could not record its result, comes back after this
 * long (wrangler.toml's retry_delay for a failed batch): the shard gets a moment to recover.
 */
const SHARD_FAILED_DELAY_SECONDS = 30;

type Plan =
  | { kind: "ack" }
  | { kind: "unavailable" }
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

/** What becomes of one delivery of the batch: done, or bring it back after a delay. */
type Verdict = { kind: "ack" } | { kind: "retry"; delaySeconds: number };

/** A planned send: its record, or null when the batch's send budget ran out before it started. */
type Sent = { index: number; record: (AttemptRecord & { delaySeconds: number | null }) | null };

/**
 * Decides, in one spot, what becomes of each delivery once the batch's results are recorded.
 * Verdicts are per delivery (a packed queue message carries several; see settlementOf).
 * `unrecorded` holds the indexes of deliveries whose send or cancellation their shard failed to
 * record: they come back, so the delivery is not lost (its receiver may get it again, as when a
 * whole batch fails), while every other shard's messages are settled as usual.
 */
function verdictsOf(plans: Plan[], sent: Sent[], live: Set<string>, unrecorded: Set<number>): Verdict[] {
  const verdicts = plans.map((p, index): Verdict => {
    if (p.kind === "wait") return { kind: "retry", delaySeconds: p.seconds };
    if (p.kind === "unavailable" || unrecorded.has(index)) return { kind: "retry", delaySeconds: SHARD_FAILED_DELAY_SECONDS };
    return { kind: "ack" };
  });
  for (const { index, record } of sent) {
    if (unrecorded.has(index)) continue;
    if (!record) verdicts[index] = { kind: "retry", delaySeconds: DEFERRED_DELAY_SECONDS };
    // A stale record's queue chain was replaced or continued by another message: this one is done.
    else if (live.has(record.deliveryId) && record.delaySeconds !== null) verdicts[index] = { kind: "retry", delaySeconds: record.delaySeconds };
  }
  return verdicts;
}

/** The delivery indexes of a batch that belong to each data shard present in it. */
function byShard(tasks: Array<DeliveryTask | null>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  tasks.forEach((task, index) => {
    if (!task) return;
    const group = groups.get(task.shard);
    if (group) group.push(index);
    else groups.set(task.shard, [index]);
  });
  return groups;
}

/**
 * Plans one shard's messages with one D1 read (and a claim renewal under a backlog). A shard that
 * cannot be read leaves its messages "unavailable", to come back later; the other shards go on.
 */
async function planShard(db: D1Database, shard: number, tasks: DeliveryTask[], startedAt: number, config: Config): Promise<Plan[]> {
  try {
    const rows = await loadDeliveryWork(db, tasks);
    return await holdClaims(db, planBatch(tasks, rows, startedAt), startedAt, config);
  } catch (error) {
    console.error(`data shard ${shard}: loading ${tasks.length} deliveries failed, their messages come back: ${(error as Error).message}`);
    return tasks.map(() => ({ kind: "unavailable" }));
  }
}

/** Clock and randomness of a consumer run; tests move the clock and fix the jitter. */
export interface ConsumeOptions {
  /** Epoch ms now; Date.now by default. */
  clock?: () => number;
  /** Uniform in [0, 1), for retry jitter; Math.random by default. */
  random?: () => number;
}

/**
 * The deliveries of a queue message (one, or a pack of up to DELIVERIES_PER_MESSAGE), or [null]
 * (logged) when it is not a delivery task of one of the Worker's shards: it is acked and dropped.
 */
function tasksOfMessage(message: Message<unknown>, env: Env): Array<DeliveryTask | null> {
  const tasks = tasksOf(message.body);
  if (!tasks) console.error(`queue message ${message.id} is not a delivery task; dropped`);
  else if (!isShardIndex(env, tasks[0]!.shard)) console.error(`queue message ${message.id} names data shard ${tasks[0]!.shard}, which this Worker does not have; dropped`);
  else return tasks;
  return [null];
}

/** What Queues hears about one queue message once each of its deliveries has its verdict. */
type Settlement =
  | { kind: "ack" }
  | { kind: "retry"; delaySeconds: number }
  /** Some deliveries come back, others are done: those come back in new messages, the original is acked. */
  | { kind: "split"; groups: Array<{ tasks: DeliveryTask[]; delaySeconds: number }> };

/**
 * Settles one queue message from the verdicts of its deliveries (`slots`: their indexes). A message
 * whose deliveries all come back after the same delay is retried as it is (Queues keeps counting its
 * attempts, which orders sends and feeds the dead-letter queue); otherwise only the deliveries that
 * come back are queued again, grouped by delay, so a retry of one never re-sends another.
 */
function settlementOf(slots: number[], verdicts: Verdict[], tasks: Array<DeliveryTask | null>): Settlement {
  const delays = new Map<number, DeliveryTask[]>();
  for (const slot of slots) {
    const verdict = verdicts[slot]!;
    if (verdict.kind !== "retry") continue;
    const delay = Math.min(verdict.delaySeconds, MAX_QUEUE_DELAY_SECONDS);
    const group = delays.get(delay);
    if (group) group.push(tasks[slot]!);
    else delays.set(delay, [tasks[slot]!]);
  }
  if (delays.size === 0) return { kind: "ack" };
  const [delaySeconds, retried] = [...delays][0]!;
  if (delays.size === 1 && retried.length === slots.length) return { kind: "retry", delaySeconds };
  return { kind: "split", groups: [...delays].map(([delay, group]) => ({ tasks: group, delaySeconds: delay })) };
}

/**
 * The delivery queue consumer. The batch is grouped by data shard (each message names its own):
 * per shard present, one D1 read for its deliveries and one D1 batch for their results, so at
 * most two round trips per shard. Signed sends run across the whole batch with bounded concurrency
 * within the batch's send budget, then each delivery is done or comes back after its delay. A queue
 * message may carry up to DELIVERIES_PER_MESSAGE deliveries, each handled on its own (its own
 * attempt budget, delay and cancellation): when only some of them come back, they are queued again
 * in new messages and the original is acked (settlementOf), so a retry of one never re-sends its
 * neighbours. A delivery the budget left unsent goes back to the queue without an attempt counted. A shard that fails to
 * load or record its part has its messages retried (Queues dead-letters them if that keeps
 * happening); the other shards' messages are settled as usual, so none is lost or sent twice.
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env, options: ConsumeOptions = {}): Promise<void> {
  const clock = options.clock ?? Date.now;
  const random = options.random ?? Math.random;
  const startedAt = clock();
  const config = readConfig(env);
  const policy = targetPolicyOf(config);
  // One slot per delivery: a packed message contributes one per delivery it carries.
  const tasks: Array<DeliveryTask | null> = [];
  const messageOf: number[] = [];
  const slotsOf: number[][] = batch.messages.map((message, index) =>
    tasksOfMessage(message, env).map((task) => {
      messageOf.push(index);
      return tasks.push(task) - 1;
    }),
  );
  const shards = [...byShard(tasks)];
  const plans: Plan[] = tasks.map(() => ({ kind: "ack" }));
  await Promise.all(
    shards.map(async ([shard, indexes]) => {
      const shardPlans = await planShard(shardDb(env, shard), shard, indexes.map((i) => tasks[i]!), startedAt, config);
      indexes.forEach((messageIndex, i) => (plans[messageIndex] = shardPlans[i]!));
    }),
  );

  // Messages that came back before (a deferral, a retry) go first, so none is deferred batch after batch.
  const sending = plans
    .flatMap((p, index) => (p.kind === "send" ? [{ index, work: p.work }] : []))
    .sort((a, b) => batch.messages[messageOf[b.index]!]!.attempts - batch.messages[messageOf[a.index]!]!.attempts);
  const results = await mapWithConcurrency(sending, SEND_CONCURRENCY, ({ work }) =>
    clock() - startedAt < SEND_BUDGET_MS ? attemptDelivery(env, work, policy, clock()) : Promise.resolve(null),
  );
  const finishedAt = Math.max(startedAt, clock());
  const sent: Sent[] = sending.map(({ index, work }, i) => ({
    index,
    record: results[i] ? outcomeOf(work, results[i], finishedAt, random) : null,
  }));

  const live = new Set<string>();
  const unrecorded = new Set<number>();
  await Promise.all(
    shards.map(async ([shard, indexes]) => {
      const mine = new Set(indexes);
      const records = sent.flatMap((s) => (s.record && mine.has(s.index) ? [s.record] : []));
      const cancellations: Cancellation[] = indexes.flatMap((index) => {
        const p = plans[index]!;
        const t = tasks[index]!;
        return p.kind === "cancel"
          ? [{ deliveryId: t.delivery_id, tenantId: t.tenant_id, endpointId: t.endpoint_id, queueToken: t.token, reason: p.reason, at: startedAt }]
          : [];
      });
      try {
        for (const id of await recordBatchResults(shardDb(env, shard), records, cancellations, healthOf(records))) live.add(id);
      } catch (error) {
        console.error(`data shard ${shard}: recording ${records.length + cancellations.length} results failed, their messages come back: ${(error as Error).message}`);
        for (const index of indexes) if (plans[index]!.kind === "send" || plans[index]!.kind === "cancel") unrecorded.add(index);
      }
    }),
  );

  const verdicts = verdictsOf(plans, sent, live, unrecorded);
  const settlements = slotsOf.map((slots) => settlementOf(slots, verdicts, tasks));
  const split = settlements.flatMap((s) => (s.kind === "split" ? s.groups : []));
  let requeued = true;
  try {
    await requeueTasks(env.DELIVERIES, split);
  } catch (error) {
    // Retrying the whole message instead is safe: its finished deliveries are acked when they come back.
    console.error(`re-queueing ${split.length} groups of deliveries failed, their messages come back whole: ${(error as Error).message}`);
    requeued = false;
  }
  settlements.forEach((settlement, index) => {
    const message = batch.messages[index]!;
    if (settlement.kind === "ack" || (settlement.kind === "split" && requeued)) message.ack();
    else if (settlement.kind === "retry") message.retry({ delaySeconds: settlement.delaySeconds });
    else message.retry({ delaySeconds: Math.min(...settlement.groups.map((g) => g.delaySeconds)) });
  });
}
