import type { AttemptRecord, RecordedBatch } from "../db/batch-records";
import type { EndpointTransition } from "../db/endpoint-health";
import { messageIdOf, messageKeyOf, rowKeyText } from "../lib/ids";
import { MAX_BATCH_MESSAGES } from "../limits";
import type { OperationalEvent, OperationalEventType } from "../schemas/operational";
import { tenantShard } from "../shards";
import type { EnqueueRequest } from "./enqueue-request";
import { enqueueBatch } from "./enqueue";
import { OPERATIONAL_SOURCE, PLATFORM_TENANT_ID } from "./operational-names";

/**
 * Operational events: the relay telling the platform (and tenants that subscribe) when an
 * endpoint's health changes or a delivery runs out of attempts. They are ordinary messages, so they
 * are stored, signed, retried, polled and replayed like any other:
 * - to the platform, as messages of the reserved tenant PLATFORM_TENANT_ID, whose endpoints are the
 *   operational endpoints (`/v1/operational-endpoints`);
 * - to the tenant the event is about, for its enabled endpoints that name the event type in `events`
 *   (exactly, or by a pattern such as `endpoint.*`; never through `*` or an empty list, so endpoints
 *   that take every event do not start receiving these unasked).
 *
 * Nothing here throws: the transition has been recorded already, and an event that cannot be stored
 * is logged and dropped rather than undoing or repeating the work that caused it.
 */

export { OPERATIONAL_SOURCE, PLATFORM_TENANT_ID } from "./operational-names";

/** Whether an endpoint's `events` name this operational type (exactly, or by a pattern narrower than `*`). */
function subscribesExplicitly(patterns: string[], type: OperationalEventType): boolean {
  return patterns.some((p) => p === type || (p !== "*" && p.endsWith("*") && type.startsWith(p.slice(0, -1))));
}

function requestOf(tenantId: string, event: OperationalEvent, endpointIds?: string[]): EnqueueRequest {
  const payload = JSON.stringify(event);
  // Filters see the event as its receivers will: the JSON text read back (no undefined members).
  return { tenantId, event: event.type, payload, value: JSON.parse(payload), source: OPERATIONAL_SOURCE, endpointIds };
}

/** Enqueues `requests` of one tenant, MAX_BATCH_MESSAGES per D1 batch. */
async function enqueueAll(env: Env, tenantId: string, requests: EnqueueRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += MAX_BATCH_MESSAGES) await enqueueBatch(env, tenantId, requests.slice(i, i + MAX_BATCH_MESSAGES));
}

/** Stores the events as platform messages, unless no operational endpoint was ever created (then there is no platform tenant). */
async function toPlatform(env: Env, events: OperationalEvent[]): Promise<void> {
  if (!(await tenantShard(env, PLATFORM_TENANT_ID))) return;
  await enqueueAll(env, PLATFORM_TENANT_ID, events.map((event) => requestOf(PLATFORM_TENANT_ID, event)));
}

/** Operational messages among the tenant's deliveries `deliveryIds` (by their messages' source). */
async function operationalDeliveries(db: D1Database, tenantId: string, deliveryIds: string[]): Promise<Set<string>> {
  const keys = deliveryIds.flatMap((id) => {
    const key = messageKeyOf(id);
    return key ? [rowKeyText(key)] : [];
  });
  if (keys.length === 0) return new Set();
  const { results } = await db
    .prepare("SELECT id FROM messages WHERE key IN (SELECT CAST(value AS INTEGER) FROM json_each(?1)) AND tenant_id = ?2 AND source = ?3")
    .bind(JSON.stringify(keys), tenantId, OPERATIONAL_SOURCE)
    .all<{ id: string }>();
  const messages = new Set(results.map((r) => r.id));
  return new Set(deliveryIds.filter((id) => messages.has(messageIdOf(id))));
}

/** Sends one tenant's events to its own endpoints that subscribe to them by name. */
async function toTenant(env: Env, tenantId: string, events: OperationalEvent[]): Promise<void> {
  const shard = await tenantShard(env, tenantId);
  if (!shard) return;
  const { results } = await shard.db
    .prepare("SELECT id, events FROM endpoints WHERE tenant_id = ? AND enabled = 1 AND events <> '[]'")
    .bind(tenantId)
    .all<{ id: string; events: string }>();
  const subscribers = results.map((e) => ({ id: e.id, events: JSON.parse(e.events) as string[] }));
  if (!subscribers.some((s) => events.some((e) => subscribesExplicitly(s.events, e.type)))) return;
  const exhausted = events.flatMap((e) => (e.type === "delivery.exhausted" ? [e.delivery_id] : []));
  const ofOperational = await operationalDeliveries(shard.db, tenantId, exhausted);
  const requests = events.flatMap((event) => {
    if (event.type === "delivery.exhausted" && ofOperational.has(event.delivery_id)) return [];
    const targets = subscribers.filter((s) => subscribesExplicitly(s.events, event.type)).map((s) => s.id);
    return targets.length > 0 ? [requestOf(tenantId, event, targets)] : [];
  });
  await enqueueAll(env, tenantId, requests);
}

/**
 * Emits operational events: to the platform, and to each tenant's subscribing endpoints. Events
 * about the platform tenant's own endpoints are dropped (an operational endpoint that fails never
 * causes another event). Never throws; failures are logged.
 */
export async function emitOperationalEvents(env: Env, events: OperationalEvent[]): Promise<void> {
  const about = events.filter((e) => e.tenant_id !== PLATFORM_TENANT_ID);
  if (about.length === 0) return;
  const byTenant = new Map<string, OperationalEvent[]>();
  for (const e of about) {
    const own = byTenant.get(e.tenant_id);
    if (own) own.push(e);
    else byTenant.set(e.tenant_id, [e]);
  }
  const sends = [toPlatform(env, about), ...[...byTenant].map(([tenantId, own]) => toTenant(env, tenantId, own))];
  const outcomes = await Promise.allSettled(sends);
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") {
      console.error(`operational events (${about.map((e) => e.type).join(", ")}) not all stored: ${(outcome.reason as Error)?.message ?? outcome.reason}`);
    }
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The events one consumer batch's recorded results call for: `endpoint.failing` for each streak its
 * write began (naming the failed attempt that began it), `endpoint.disabled` (`gone`) for each
 * endpoint a 410 disabled, and `delivery.exhausted` for each delivery its live record failed.
 */
export function batchEvents(records: AttemptRecord[], { live, transitions }: RecordedBatch): OperationalEvent[] {
  const fromTransitions = transitions.flatMap((t: EndpointTransition): OperationalEvent[] => {
    // The batch's health came from these records, so the endpoint's failed attempt is among them.
    const failed = records.findLast((r) => r.endpointId === t.endpoint_id && r.outcome !== "ok");
    if (!failed) return [];
    const about = { tenant_id: t.tenant_id, endpoint_id: t.endpoint_id, occurred_at: iso(failed.at) };
    if (t.kind === "gone") return [{ type: "endpoint.disabled", ...about, reason: "gone", detail: failed.error }];
    return [{ type: "endpoint.failing", ...about, ...attemptOf(failed) }];
  });
  const exhausted = records
    .filter((r) => r.status === "failed" && live.has(r.deliveryId))
    .map((r): OperationalEvent => ({ type: "delivery.exhausted", tenant_id: r.tenantId, endpoint_id: r.endpointId || null, occurred_at: iso(r.at), ...attemptOf(r) }));
  return [...fromTransitions, ...exhausted];
}

/** The fields an event takes from the attempt it is about. */
function attemptOf(r: AttemptRecord) {
  return { message_id: messageIdOf(r.deliveryId), delivery_id: r.deliveryId, status_code: r.statusCode, error: r.error };
}
