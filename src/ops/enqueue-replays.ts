import { findKeyedRequests, type KeyedMessage } from "../db/idempotency-keys";
import type { NewDelivery } from "../db/messages";
import { iso } from "../db/pagination";
import { sha256Hex } from "../lib/digest";
import { deliveryIdOf } from "../lib/ids";
import { IDEMPOTENCY_WINDOW_MS } from "../limits";
import type { EnqueueResponse } from "../schemas/messages";
import { dueAtOf, type BatchRequest, type EnqueueRequest } from "./enqueue-request";

/**
 * Enqueue's answers: the response of a message just stored, and the first response of an
 * idempotency key, rebuilt from what the key points at and from the request replaying it (the
 * same request, by its hash, so its delay tells whether the deliveries were `scheduled` then).
 */

/** One message's answer: the single-enqueue response, marked when an idempotency key replayed it. */
export type EnqueueResult = EnqueueResponse & { replayed?: true };

/** Orders deliveries by id, as enqueue responses list them. */
export const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The 202 of a message just stored at `created` (epoch ms), with its deliveries. */
export function newResponse(id: string, r: EnqueueRequest, created: number, deliveries: NewDelivery[]): EnqueueResult {
  return {
    id,
    event: r.event,
    source: r.source,
    created_at: new Date(created).toISOString(),
    deliveries: deliveries.map((d) => ({ id: d.id, endpoint_id: d.endpoint_id || null, status: d.status })).sort(byId),
  };
}

/** The response that stored message `m` for request `r`, marked replayed when `replayed`. */
function responseOf(m: KeyedMessage, r: EnqueueRequest, replayed: boolean): EnqueueResult {
  const targets = JSON.parse(m.targets) as string[];
  const status = dueAtOf(r, m.created_at) === null ? ("pending" as const) : ("scheduled" as const);
  const deliveries = targets.map((t, ordinal) => ({ id: deliveryIdOf(m.id, ordinal), endpoint_id: t || null, status }));
  return { id: m.id, event: m.event, source: m.source, created_at: iso(m.created_at), deliveries: deliveries.sort(byId), ...(replayed ? { replayed } : {}) };
}

/** An idempotency key with the SHA-256 (hex) of what identifies the request it came with. */
export interface HashedKey {
  key: string;
  hash: string;
}

/** The keys of a request: each message's own (by index), and the Idempotency-Key header of a batch. */
export interface RequestKeys {
  items: Array<HashedKey | undefined>;
  batch?: HashedKey;
}

/** Hashes the keys' fingerprints (never stored: a fingerprint holds the payload). */
export async function hashKeys({ requests, idempotency }: BatchRequest): Promise<RequestKeys> {
  const hashed = async (k: { key: string; fingerprint: string } | undefined) => (k ? { key: k.key, hash: await sha256Hex(k.fingerprint) } : undefined);
  const [batch, ...items] = await Promise.all([hashed(idempotency), ...requests.map((r) => hashed(r.idempotency))]);
  return { items, batch };
}

/** What the live keys of a request say about it. */
export interface KeyLookup {
  /** The batch's first response, when its Idempotency-Key header was set by this same request. */
  whole?: EnqueueResult[];
  /** The first responses of the messages whose own key was set by this same message, by index. */
  replays: Map<number, EnqueueResult>;
  /** Keys set by another request: -1 for the batch's header, else the message's index. */
  reused: number[];
  /** Whether a key of this same request points at messages deleted meanwhile. */
  gone: boolean;
}

/**
 * Looks up the live keys (set at or after `now` (epoch ms) minus IDEMPOTENCY_WINDOW_MS) of the
 * batch's `requests`, except those of messages in `skip` (already answered): one D1 read.
 */
export async function lookUpKeys(db: D1Database, { tenantId, requests }: BatchRequest, keys: RequestKeys, skip: Set<number>, now: number): Promise<KeyLookup> {
  const wanted = new Map<string, number>();
  if (keys.batch) wanted.set(keys.batch.key, -1);
  keys.items.forEach((k, index) => k && !skip.has(index) && wanted.set(k.key, index));
  const lookup: KeyLookup = { replays: new Map(), reused: [], gone: false };
  if (wanted.size === 0) return lookup;
  for (const found of await findKeyedRequests(db, tenantId, [...wanted.keys()], now - IDEMPOTENCY_WINDOW_MS)) {
    const index = wanted.get(found.key)!;
    if (found.request_hash !== (index < 0 ? keys.batch : keys.items[index])!.hash) lookup.reused.push(index);
    else if (found.messages.some((m) => m === null)) lookup.gone = true;
    else if (index < 0) lookup.whole = found.messages.map((m, n) => responseOf(m!, requests[n]!, m!.replayed));
    else lookup.replays.set(index, responseOf(found.messages[0]!, requests[index]!, true));
  }
  return lookup;
}
