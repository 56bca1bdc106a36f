import { deadLetters, tenantOfMessage, troubledEndpoints, type DeadLetter } from "../db/operator-view";
import { isRelayId, messageIdOf, ordinalOf } from "../lib/ids";
import type { Endpoint } from "../schemas/endpoints";
import { shardCount, shardDb } from "../shards";

/** How many rows of each list the operator view reads from each shard. */
export const OPERATOR_LIST_LIMIT = 50;

/** Runs `read` on every data shard at once and joins the results in shard order. */
async function onEveryShard<T>(env: Env, read: (db: D1Database) => Promise<T[]>): Promise<T[]> {
  const shards = Array.from({ length: shardCount(env) }, (_, index) => read(shardDb(env, index)));
  return (await Promise.all(shards)).flat();
}

/**
 * Failing and disabled endpoints of every tenant, at most OPERATOR_LIST_LIMIT: failing ones first
 * (longest failing first), then disabled ones. One read per shard, of its endpoint rows.
 */
export async function troubledEndpointsEverywhere(env: Env): Promise<Endpoint[]> {
  const all = await onEveryShard(env, (db) => troubledEndpoints(db, OPERATOR_LIST_LIMIT));
  const failingFirst = (e: Endpoint) => (e.failing_since ? `0${e.failing_since}` : `1${e.updated_at}`);
  return all.sort((a, b) => failingFirst(a).localeCompare(failingFirst(b))).slice(0, OPERATOR_LIST_LIMIT);
}

/** The newest failed deliveries (dead letters) of every tenant, at most OPERATOR_LIST_LIMIT. One read per shard, of its failed and cancelled deliveries' index. */
export async function deadLettersEverywhere(env: Env): Promise<DeadLetter[]> {
  const all = await onEveryShard(env, (db) => deadLetters(db, OPERATOR_LIST_LIMIT));
  return all.sort((a, b) => b.id.localeCompare(a.id)).slice(0, OPERATOR_LIST_LIMIT);
}

/**
 * Which tenant a message or delivery id belongs to, or null when no shard holds its message, the
 * message has no delivery of that ordinal, or the text is not an id this relay issues. One
 * primary-key seek per shard.
 */
export async function findById(env: Env, id: string): Promise<{ tenantId: string; kind: "message" | "delivery" } | null> {
  const trimmed = id.trim().toLowerCase();
  if (!isRelayId(trimmed)) return null;
  const messageId = messageIdOf(trimmed);
  const [message] = await onEveryShard(env, async (db) => {
    const found = await tenantOfMessage(db, messageId);
    return found ? [found] : [];
  });
  if (!message) return null;
  if (trimmed === messageId) return { tenantId: message.tenantId, kind: "message" };
  return ordinalOf(trimmed) < message.deliveries ? { tenantId: message.tenantId, kind: "delivery" } : null;
}
