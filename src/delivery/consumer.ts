import { readConfig, type Config } from "../config";
import { DEFAULT_TIMEOUT_MS } from "../limits";
import { within } from "../lib/within";
import {
  loadDeliveryWork,
  recordBatchResults,
  renewClaims,
  type AttemptRecord,
  type Cancellation,
  type DeferredClaim,
  type DeliveryWork,
  type EndpointHealth,
} from "../db/delivery-work";
import { activeSecrets, readSecretSet, type SecretOwner } from "../secrets";
import { batchEvents, emitOperationalEvents } from "../ops/operational-events";
import { readPayload } from "../payloads";
import { targetPolicyOf, type TargetPolicy } from "../security/target-guard";
import { isShardIndex, shardDb } from "../shards";
import { MAX_QUEUE_DELAY_SECONDS, maxAttempts, retryDelaySeconds, type RetryConfig } from "./backoff";
import { claimLapsesDuring, deferralOutlivesClaim, SECRET_READ_BOUND_MS, SEND_BOUND_MS, SEND_BUDGET_MS } from "./claim";
import { withinEndpointLimits, type Deferral } from "./endpoint-gate";
import { laneOfQueue, paceOf, queueOfLane, SLOW_ANSWER_MS, type Lane } from "./lanes";
import { runFairly } from "./send-scheduler";
import { send, type SendResult } from "./send";
import { signingKeysFor, type SignatureConfig } from "./signing";
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
 * Once a send to an endpoint has timed out in a batch, the endpoint's sends not yet started come
 * back this much later, with no attempt counted, instead of holding the batch's slots for as long.
 */
const TIMED_OUT_DELAY_SECONDS = 10;
/** How often a batch that runs longer than this records the results it has so far. */
const RECORD_EVERY_MS = 1_500;
/**
 * A message whose shard could not be read, or could not record its result, comes back after this
 * long (wrangler.toml's retry_delay for a failed batch): the shard gets a moment to recover.
 */
const SHARD_FAILED_DELAY_SECONDS = 30;
/**
 * A message Queues has delivered this many times is not retried in place when its deliveries come
 * back: they are queued again in a new message (whose count starts over) and it is acked. Queues
 * dead-letters a message after wrangler.toml's max_retries (100) deliveries, and the dead-letter
 * consumer fails its deliveries; that is for messages the consumer keeps crashing on (or a shard that
 * keeps failing), never for a delivery that waits its turn under a rate limit or behind a timing-out
 * endpoint batch after batch, sent no more than its attempts allow.
 */
const REQUEUE_AFTER_QUEUE_ATTEMPTS = 50;

type Plan =
  | { kind: "ack" }
  | { kind: "unavailable" }
  | { kind: "wait"; seconds: number }
  | { kind: "cancel"; reason: string }
  | { kind: "forward"; work: DeliveryWork }
  | { kind: "send"; work: DeliveryWork };

/**
 * Decides, without side effects, what to do with one queue message given the delivery's row and
 * the lane the batch belongs to: the main lane forwards a due delivery of a slow-lane endpoint.
 */
function plan(task: DeliveryTask | null, work: DeliveryWork | undefined, now: number, lane: Lane): Plan {
  if (!task || !work) return { kind: "ack" }; // malformed, or the delivery was purged
  if (work.queue_token !== task.token) return { kind: "ack" }; // superseded by a replay or sweep
  if (work.status !== "pending" && work.status !== "retrying") return { kind: "ack" }; // already final
  if (work.endpoint_id !== "" && !work.endpoint_exists) return { kind: "cancel", reason: "Endpoint was deleted" };
  if (work.endpoint_id !== "" && !work.endpoint_enabled) return { kind: "cancel", reason: "Endpoint is disabled" };
  if (work.next_attempt_at !== null && work.next_attempt_at > now + EARLY_TOLERANCE_MS) {
    // A wait longer than Queues' 12 h limit arrives in hops; this is one of them.
    return { kind: "wait", seconds: Math.min(Math.ceil((work.next_attempt_at - now) / 1000), MAX_QUEUE_DELAY_SECONDS) };
  }
  if (lane === "main" && work.endpoint_slow_since !== null) return { kind: "forward", work };
  return { kind: "send", work };
}

/**
 * The receiver a send goes to, as the batch shares its connections and stops sending after a
 * timeout: the endpoint, or for one-off webhook_url deliveries the URL's origin, so that many
 * one-offs to one slow host count as one receiver, not one each.
 */
function receiverOf(work: DeliveryWork): string {
  if (work.endpoint_id) return work.endpoint_id;
  return `one-off ${URL.parse(work.url ?? "")?.origin ?? work.id}`;
}

function ownerOf(work: DeliveryWork): SecretOwner {
  return work.endpoint_id ? { kind: "endpoint", id: work.endpoint_id } : { kind: "tenant", id: work.tenant_id };
}

/** A failed attempt that sent nothing (fail closed: never unsigned, never a wrong body); logged, retried like any failure. */
function unsent(work: DeliveryWork, log: string, errorKind: SendResult["errorKind"], error: string): SendResult {
  console.error(`delivery ${work.id}: ${log}`);
  return { outcome: "retryable", statusCode: null, errorKind, error, durationMs: 0, responseBody: null, retryAfterSeconds: null };
}

async function attemptDelivery(env: Env, work: DeliveryWork, policy: TargetPolicy, now: number): Promise<SendResult> {
  const signature: SignatureConfig = work.endpoint_signature ? JSON.parse(work.endpoint_signature) : { scheme: "standard" };
  let secrets: string[];
  let body: string;
  try {
    // Bounded like every step of a send, so a batch's lifetime stays bounded (src/delivery/claim.ts).
    const set = await within(readSecretSet(env, ownerOf(work), { cached: true }), SECRET_READ_BOUND_MS, "reading it timed out");
    if (!set) throw new Error("no signing secret stored");
    secrets = signingKeysFor(signature, activeSecrets(set, now));
    if (secrets.length === 0) throw new Error(`no stored key fits the ${signature.scheme} scheme`);
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
    signature,
    secrets,
    timeoutMs: work.endpoint_timeout_ms ?? DEFAULT_TIMEOUT_MS,
    policy,
    now,
  });
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

/** How each endpoint's health moved with `records`; `urls` holds the URL each delivery was sent to, by delivery id. */
function healthOf(records: AttemptRecord[], urls: Map<string, string | null>): EndpointHealth[] {
  const byEndpoint = new Map<string, EndpointHealth>();
  for (const r of records) {
    if (!r.endpointId) continue;
    const h = byEndpoint.get(r.endpointId) ?? {
      endpointId: r.endpointId,
      succeeded: false,
      failedAt: null,
      gone: false,
      pace: null,
      paceAt: r.at,
      url: urls.get(r.deliveryId) ?? null,
    };
    if (r.outcome === "ok") h.succeeded = true;
    else h.failedAt = r.at;
    if (r.errorKind === "gone") h.gone = true;
    const pace = paceOf(r);
    if (pace === "slow" || (pace === "quick" && h.pace === null)) [h.pace, h.paceAt] = [pace, r.at];
    byEndpoint.set(r.endpointId, h);
  }
  return [...byEndpoint.values()];
}

/**
 * Plans every message of a batch. Of several messages for one delivery (an at-least-once duplicate,
 * or replays in quick succession) only one is acted on: the one carrying the row's live token, so
 * a stale message never stands in for the live one. The others are acked.
 */
function planBatch(tasks: Array<DeliveryTask | null>, rows: Map<string, DeliveryWork>, now: number, lane: Lane): Plan[] {
  const chosen = new Map<string, number>();
  tasks.forEach((task, index) => {
    if (!task) return;
    const current = chosen.get(task.delivery_id);
    const live = rows.get(task.delivery_id)?.queue_token;
    if (current === undefined || (task.token === live && tasks[current]!.token !== live)) chosen.set(task.delivery_id, index);
  });
  return tasks.map((task, index) => {
    if (task && chosen.get(task.delivery_id) !== index) return { kind: "ack" };
    return plan(task, task ? rows.get(task.delivery_id) : undefined, now, lane);
  });
}

/**
 * Renews the claims that would lapse before this batch could end, or for a delivery forwarded to the
 * slow lane before that lane's batch could (src/delivery/claim.ts), and turns the sends and forwards
 * of deliveries the batch no longer holds (re-armed, replayed or finished meanwhile) into acks.
 */
async function holdClaims(db: D1Database, plans: Plan[], startedAt: number, config: Config): Promise<Plan[]> {
  const lapsing = plans.flatMap((p) =>
    (p.kind === "send" && claimLapsesDuring(p.work, startedAt, config)) || (p.kind === "forward" && deferralOutlivesClaim(p.work, startedAt, config))
      ? [p.work]
      : [],
  );
  if (lapsing.length === 0) return plans;
  const held = await renewClaims(
    db,
    lapsing.map((w) => ({ tenant_id: w.tenant_id, endpoint_id: w.endpoint_id, delivery_id: w.id, queue_token: w.queue_token })),
    startedAt,
  );
  return plans.map((p) => ((p.kind === "send" || p.kind === "forward") && lapsing.includes(p.work) && !held.has(p.work.id) ? { kind: "ack" } : p));
}

/**
 * What becomes of one delivery of the batch: done, bring it back after a delay (in `lane`, by default
 * the batch's own), or hand it to the slow lane.
 */
type Verdict = { kind: "ack" } | { kind: "retry"; delaySeconds: number; shardFailed?: boolean; lane?: Lane } | { kind: "forward" };

/** The verdict of a delivery whose shard could not be read, or could not record its result. */
const SHARD_FAILED: Verdict = { kind: "retry", delaySeconds: SHARD_FAILED_DELAY_SECONDS, shardFailed: true };

/**
 * A planned send: its record, or null when it was not sent: the batch's send budget ran out before
 * it started, it was held back for `deferSeconds` (the endpoint's limits, or its timing out
 * earlier in the batch), or it is `forward`ed to the slow lane (its receiver was slow earlier in the batch).
 */
type Sent = { index: number; record: (AttemptRecord & { delaySeconds: number | null }) | null; deferSeconds?: number; forward?: boolean };

/**
 * What becomes of a sent (or held back) delivery once its shard has recorded the result.
 * `recorded` is false when the shard failed to record it: it comes back, so the delivery is not
 * lost (its receiver may get it again, as when a whole batch fails).
 */
function verdictOf({ record, deferSeconds, forward }: Sent, live: Set<string>, recorded: boolean): Verdict {
  if (forward) return { kind: "forward" };
  if (!recorded) return SHARD_FAILED;
  if (!record) return { kind: "retry", delaySeconds: deferSeconds ?? DEFERRED_DELAY_SECONDS };
  // A stale record's queue chain was replaced or continued by another message: this one is done.
  // A retry after a slow request goes to the slow lane: a one-off delivery has no endpoint whose lane
  // would forward it there, and would hold another main-lane batch for as long.
  if (live.has(record.deliveryId) && record.delaySeconds !== null) {
    return { kind: "retry", delaySeconds: record.delaySeconds, ...(paceOf(record) === "slow" ? { lane: "slow" as const } : {}) };
  }
  return { kind: "ack" };
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
async function planShard(db: D1Database, shard: number, tasks: DeliveryTask[], startedAt: number, config: Config, lane: Lane): Promise<Plan[]> {
  try {
    const rows = await loadDeliveryWork(db, tasks);
    return await holdClaims(db, planBatch(tasks, rows, startedAt, lane), startedAt, config);
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

/** Deliveries queued again as new messages, in one lane, after one delay (seconds). */
type Requeue = { lane: Lane; tasks: DeliveryTask[]; delaySeconds: number };

/** What Queues hears about one queue message once each of its deliveries has its verdict. */
type Settlement =
  | { kind: "ack" }
  | { kind: "retry"; delaySeconds: number }
  /** Some deliveries come back or move lanes, others are done: those go in new messages, the original is acked. */
  | { kind: "split"; groups: Requeue[] };

/**
 * Settles one queue message of lane `lane` from the verdicts of its deliveries (`slots`: their
 * indexes). A message whose deliveries all come back after the same delay is retried as it is
 * (Queues keeps counting its attempts, which orders sends and feeds the dead-letter queue), unless
 * Queues has delivered it `queueAttempts` ≥ REQUEUE_AFTER_QUEUE_ATTEMPTS times and no shard failed
 * it; otherwise only the deliveries that come back are queued again, grouped by delay, and those
 * forwarded go to the slow lane, so a retry of one never re-sends another.
 */
function settlementOf(slots: number[], verdicts: Verdict[], tasks: Array<DeliveryTask | null>, queueAttempts: number, lane: Lane): Settlement {
  const groups = new Map<string, Requeue>();
  for (const slot of slots) {
    const verdict = verdicts[slot]!;
    if (verdict.kind === "ack") continue;
    const [toLane, delay] = verdict.kind === "forward" ? (["slow", 0] as const) : [verdict.lane ?? lane, Math.min(verdict.delaySeconds, MAX_QUEUE_DELAY_SECONDS)];
    const key = `${toLane} ${delay}`;
    const group = groups.get(key) ?? { lane: toLane, tasks: [], delaySeconds: delay };
    group.tasks.push(tasks[slot]!);
    groups.set(key, group);
  }
  if (groups.size === 0) return { kind: "ack" };
  const [first] = groups.values();
  const shardFailed = slots.some((slot) => {
    const verdict = verdicts[slot]!;
    return verdict.kind === "retry" && verdict.shardFailed === true;
  });
  const retryInPlace = queueAttempts < REQUEUE_AFTER_QUEUE_ATTEMPTS || shardFailed;
  if (groups.size === 1 && first!.lane === lane && first!.tasks.length === slots.length && retryInPlace) {
    return { kind: "retry", delaySeconds: first!.delaySeconds };
  }
  return { kind: "split", groups: [...groups.values()] };
}

/**
 * Queues each lane's groups of deliveries again (one sendBatch series per lane present). Returns the
 * lanes whose queue refused them (logged).
 */
async function requeue(env: Env, groups: Requeue[]): Promise<Set<Lane>> {
  const lanes: Lane[] = ["main", "slow"];
  const refused = new Set<Lane>();
  await Promise.all(
    lanes.map(async (lane) => {
      const laneGroups = groups.filter((g) => g.lane === lane);
      try {
        await requeueTasks(queueOfLane(env, lane), laneGroups);
      } catch (error) {
        console.error(`re-queueing ${laneGroups.length} groups of deliveries in the ${lane} lane failed: ${(error as Error).message}`);
        refused.add(lane);
      }
    }),
  );
  return refused;
}

/**
 * The delivery queue consumer. The batch is grouped by data shard (each message names its own):
 * per shard present, one D1 read for its deliveries and one D1 batch for their results, so two
 * round trips per shard for a batch that ends within RECORD_EVERY_MS; a longer one records what
 * has finished every RECORD_EVERY_MS and settles those messages at once. Signed sends run across
 * the whole batch, six at a time, shared equally between the endpoints waiting
 * (src/delivery/send-scheduler.ts) and within each endpoint's limits (src/delivery/endpoint-gate.ts),
 * inside the batch's send budget; each delivery is done or comes back after its delay. A queue
 * message may carry up to DELIVERIES_PER_MESSAGE deliveries, each handled on its own (its own
 * attempt budget, delay and cancellation): when only some of them come back, they are queued again
 * in new messages and the original is acked (settlementOf), so a retry of one never re-sends its
 * neighbours. A delivery the budget, an endpoint's limits or its timing out earlier in the batch
 * held back goes back to the queue without an attempt counted. A shard that fails to load or record its part has its
 * messages retried (Queues dead-letters them if that keeps happening); the other shards' messages
 * are settled as usual, so none is lost or sent twice.
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env, options: ConsumeOptions = {}): Promise<void> {
  const clock = options.clock ?? Date.now;
  const random = options.random ?? Math.random;
  const startedAt = clock();
  const config = readConfig(env);
  const policy = targetPolicyOf(config);
  const lane = laneOfQueue(batch.queue);
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
      const shardPlans = await planShard(shardDb(env, shard), shard, indexes.map((i) => tasks[i]!), startedAt, config, lane);
      indexes.forEach((messageIndex, i) => (plans[messageIndex] = shardPlans[i]!));
    }),
  );

  // Each delivery gets its verdict as soon as it is known; a queue message is settled once all of
  // its deliveries have theirs (several verdicts settle together: one queue call for any re-queueing).
  const verdicts: Array<Verdict | undefined> = tasks.map(() => undefined);
  const unsettled = new Set(batch.messages.keys());
  const settleDecided = async () => {
    const ready = [...unsettled].filter((m) => slotsOf[m]!.every((slot) => verdicts[slot]));
    if (ready.length === 0) return;
    for (const m of ready) unsettled.delete(m);
    const settlements = ready.map((m) => settlementOf(slotsOf[m]!, verdicts as Verdict[], tasks, batch.messages[m]!.attempts, lane));
    const split = settlements.flatMap((s) => (s.kind === "split" ? s.groups : []));
    const refused = await requeue(env, split);
    // A message none of whose deliveries were queued again comes back whole instead (its finished
    // deliveries are acked when they come back). One queued again in part is acked all the same: a
    // whole retry would put its queued deliveries in two messages, to be sent twice; a delivery the
    // other lane refused has no message left, and the sweeper re-arms it once its claim lapses.
    const requeued = (groups: Requeue[]) => groups.some((g) => !refused.has(g.lane));
    settlements.forEach((settlement, i) => {
      const message = batch.messages[ready[i]!]!;
      if (settlement.kind === "ack" || (settlement.kind === "split" && requeued(settlement.groups))) message.ack();
      else if (settlement.kind === "retry") message.retry({ delaySeconds: settlement.delaySeconds });
      else message.retry({ delaySeconds: Math.min(...settlement.groups.map((g) => g.delaySeconds)) });
    });
  };
  const settle = (slot: number, verdict: Verdict) => (verdicts[slot] = verdict);
  plans.forEach((p, slot) => {
    if (p.kind === "ack") settle(slot, p);
    else if (p.kind === "wait") settle(slot, { kind: "retry", delaySeconds: p.seconds });
    else if (p.kind === "unavailable") settle(slot, SHARD_FAILED);
    else if (p.kind === "forward") settle(slot, { kind: "forward" });
  });
  await settleDecided();
  const cancelling = plans.flatMap((p, index) => (p.kind === "cancel" ? [index] : []));

  /** The claims that deferred and forwarded sends must move to when they come back (deferralOutlivesClaim). */
  const deferredClaimsOf = (sents: Sent[], shard: number): DeferredClaim[] => {
    const at = clock();
    return sents.flatMap(({ index, record, deferSeconds, forward }) => {
      const work = (plans[index] as Extract<Plan, { kind: "send" }>).work;
      // A forwarded delivery comes back at once, in the slow lane.
      const comebackAt = at + (forward ? 0 : Math.min(deferSeconds ?? DEFERRED_DELAY_SECONDS, MAX_QUEUE_DELAY_SECONDS) * 1000);
      if (record || tasks[index]!.shard !== shard || !deferralOutlivesClaim(work, comebackAt, config)) return [];
      return [{ deliveryId: work.id, tenantId: work.tenant_id, endpointId: work.endpoint_id, queueToken: work.queue_token, from: comebackAt, at }];
    });
  };

  // Records results, cancellations and deferred claims, one D1 batch per shard present, and settles their messages.
  const recordAndSettle = async (sents: Sent[], cancels: number[]) => {
    const live = new Set<string>();
    const failedShards = new Set<number>();
    const urls = new Map(
      sents.flatMap(({ index, record }) => (record ? [[record.deliveryId, (plans[index] as Extract<Plan, { kind: "send" }>).work.endpoint_url] as const] : [])),
    );
    await Promise.all(
      shards.map(async ([shard]) => {
        const records = sents.flatMap((s) => (s.record && tasks[s.index]!.shard === shard ? [s.record] : []));
        const deferredClaims = deferredClaimsOf(sents, shard);
        const cancellations: Cancellation[] = cancels.flatMap((index) => {
          const t = tasks[index]!;
          const p = plans[index] as Extract<Plan, { kind: "cancel" }>;
          return t.shard === shard
            ? [{ deliveryId: t.delivery_id, tenantId: t.tenant_id, endpointId: t.endpoint_id, queueToken: t.token, reason: p.reason, at: startedAt }]
            : [];
        });
        if (records.length === 0 && cancellations.length === 0 && deferredClaims.length === 0) return;
        try {
          const recorded = await recordBatchResults(shardDb(env, shard), records, cancellations, healthOf(records, urls), deferredClaims);
          for (const id of recorded.live) live.add(id);
          await emitOperationalEvents(env, batchEvents(records, recorded));
        } catch (error) {
          console.error(`data shard ${shard}: recording ${records.length + cancellations.length} results failed, their messages come back: ${(error as Error).message}`);
          failedShards.add(shard);
        }
      }),
    );
    const recorded = (index: number) => !failedShards.has(tasks[index]!.shard);
    for (const index of cancels) settle(index, recorded(index) ? { kind: "ack" } : SHARD_FAILED);
    for (const sent of sents) settle(sent.index, verdictOf(sent, live, recorded(sent.index)));
    await settleDecided();
  };

  // Messages that came back before (a deferral, a retry) go first, so none is deferred batch after batch.
  const sending = plans
    .flatMap((p, index) => (p.kind === "send" ? [{ index, work: p.work }] : []))
    .sort((a, b) => batch.messages[messageOf[b.index]!]!.attempts - batch.messages[messageOf[a.index]!]!.attempts);
  // Receivers that timed out, and (in the main lane) receivers with a request running for
  // SLOW_ANSWER_MS: their sends not yet started are held back (timed out, slow lane) or forwarded
  // to the slow lane (main lane) instead of waiting behind them.
  const timedOut = new Set<string>();
  const slow = new Set<string>();
  const sendOne = async (work: DeliveryWork): Promise<SendResult | Deferral | "forward" | null> => {
    const receiver = receiverOf(work);
    if (clock() - startedAt >= SEND_BUDGET_MS) return null;
    if (lane === "main" && (timedOut.has(receiver) || slow.has(receiver))) return "forward";
    if (timedOut.has(receiver)) return { deferSeconds: TIMED_OUT_DELAY_SECONDS };
    const result = await withinEndpointLimits(env, work, SEND_BOUND_MS, async () => {
      const noticeSlow = lane === "main" ? setTimeout(() => slow.add(receiver), SLOW_ANSWER_MS) : undefined;
      try {
        return await attemptDelivery(env, work, policy, clock());
      } finally {
        clearTimeout(noticeSlow);
      }
    });
    if ("errorKind" in result && result.errorKind === "timeout") timedOut.add(receiver);
    return result;
  };
  const unrecorded: Sent[] = [];
  const jobs = sending.map(({ work }) => ({
    key: receiverOf(work),
    cap: work.endpoint_max_in_flight ?? Infinity,
    run: () => sendOne(work),
  }));
  const sends = runFairly(jobs, SEND_CONCURRENCY, (i, result) => {
    const { index, work } = sending[i]!;
    if (!result) unrecorded.push({ index, record: null });
    else if (result === "forward") unrecorded.push({ index, record: null, forward: true });
    else if ("deferSeconds" in result) unrecorded.push({ index, record: null, deferSeconds: result.deferSeconds });
    else unrecorded.push({ index, record: outcomeOf(work, result, Math.max(startedAt, clock()), random) });
  });

  // A quick batch records once, at its end. One that runs longer records what has finished every
  // RECORD_EVERY_MS, so a slow receiver never holds back the results (and the queue messages) of
  // the others: one more D1 round trip per shard each time, the same rows. One such write runs at a
  // time, and the last one starts as soon as the sends end even if an earlier one is still
  // running, so a slow write never stretches the batch past its bound (src/delivery/claim.ts).
  let sendsDone = false;
  void sends.then(() => (sendsDone = true), () => (sendsDone = true));
  const batchBegan = Date.now();
  let writing: Promise<void> | null = null;
  while (!sendsDone) {
    await Promise.race([sends, new Promise((resolve) => setTimeout(resolve, RECORD_EVERY_MS))]);
    if (!sendsDone && !writing && unrecorded.length > 0 && Date.now() - batchBegan >= RECORD_EVERY_MS) {
      writing = recordAndSettle(unrecorded.splice(0), cancelling.splice(0)).finally(() => (writing = null));
    }
  }
  await sends;
  await Promise.all([writing, recordAndSettle(unrecorded.splice(0), cancelling.splice(0))]);
  await settleDecided();
}
