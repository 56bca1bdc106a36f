import type { DeliveryWork } from "../db/delivery-work";
import { messageCreatedAt } from "../lib/ids";
import { DEFAULT_TIMEOUT_MS } from "../limits";
import type { VersionedOwner } from "../secrets";
import type { RetryConfig } from "./backoff";
import { limitsOf } from "./endpoint-gate";
import type { EndpointLimits } from "./endpoint-limiter";
import type { SignatureConfig } from "./signing";
import { tasksOf, type DeliveryTask } from "./task";

/**
 * The decode stage: a consumer batch's queue messages become slots (one per delivery they carry),
 * and each delivery row read from its shard becomes a typed job. The row's JSON columns (signature,
 * headers, retry schedule, rate limit) are parsed here and nowhere else, once per batch; the stages
 * after this one see only typed values.
 */

/** One delivery as the later stages see it: its row and the endpoint settings parsed from it. */
export interface DeliveryJob {
  work: DeliveryWork;
  /** The URL the attempt goes to: the endpoint's, or a one-off delivery's webhook_url. */
  url: string;
  signature: SignatureConfig;
  headers: Record<string, string>;
  retry: RetryConfig;
  /** The endpoint's rate limit and in-flight cap, or null (src/delivery/endpoint-gate.ts). */
  limits: EndpointLimits | null;
  /** ms the receiver has to answer. */
  timeoutMs: number;
  /** Sends to one receiver share its connections and its lane (receiverOf). */
  receiver: string;
}

/**
 * The receiver a send goes to, as the batch shares its connections and stops sending after a
 * timeout: the endpoint, or for one-off webhook_url deliveries the URL's origin, so that many
 * one-offs to one slow host count as one receiver, not one each.
 */
export function receiverOf(work: Pick<DeliveryWork, "endpoint_id" | "url" | "id">): string {
  if (work.endpoint_id) return work.endpoint_id;
  return `one-off ${URL.parse(work.url ?? "")?.origin ?? work.id}`;
}

/**
 * The secret set a delivery signs with, at the version its row names (src/secrets.ts): its
 * endpoint's, or for a one-off delivery its tenant's; and since when (epoch ms) that version can be
 * expected in KV: when it was written (the owner's creation or the rotation the version is the time
 * of), or for a one-off, if later, when its message was.
 */
export function signingSecretOf(work: DeliveryWork): { owner: VersionedOwner; writtenAt: number } {
  if (work.endpoint_id) {
    const version = work.endpoint_secret_version ?? 0;
    return { owner: { kind: "endpoint", id: work.endpoint_id, version }, writtenAt: Math.max(version, work.endpoint_created_at ?? 0) };
  }
  const version = work.tenant_secret_version ?? 0;
  return { owner: { kind: "tenant", id: work.tenant_id, version }, writtenAt: Math.max(version, messageCreatedAt(work.message_id)) };
}

/** The typed job of a delivery row (its JSON columns parsed). */
export function jobOf(work: DeliveryWork): DeliveryJob {
  return {
    work,
    url: work.endpoint_url ?? work.url ?? "",
    signature: work.endpoint_signature ? JSON.parse(work.endpoint_signature) : { scheme: "standard" },
    headers: work.endpoint_headers ? JSON.parse(work.endpoint_headers) : {},
    retry: work.endpoint_retry ? JSON.parse(work.endpoint_retry) : {},
    limits: limitsOf(work),
    timeoutMs: work.endpoint_timeout_ms ?? DEFAULT_TIMEOUT_MS,
    receiver: receiverOf(work),
  };
}

/** A queue message as the consumer reads it (Queues' `Message`, or a test's stand-in). */
export interface QueueMessage {
  id: string;
  body: unknown;
  /** How many times Queues has delivered it (1 the first time). */
  attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** A batch's deliveries, one slot each: `tasks[slot]` (null when its message was dropped) and the message it came in. */
export interface DecodedBatch {
  tasks: Array<DeliveryTask | null>;
  messageOf: number[];
  /** The slots of each message, by message index. */
  slotsOf: number[][];
}

/**
 * The deliveries of a queue message (one, or a pack of up to DELIVERIES_PER_MESSAGE), or [null]
 * (logged) when it is not a delivery task of one of the Worker's shards: it is acked and dropped.
 */
function tasksOfMessage(message: QueueMessage, hasShard: (shard: number) => boolean): Array<DeliveryTask | null> {
  const tasks = tasksOf(message.body);
  if (!tasks) console.error(`queue message ${message.id} is not a delivery task; dropped`);
  else if (!hasShard(tasks[0]!.shard)) console.error(`queue message ${message.id} names data shard ${tasks[0]!.shard}, which this Worker does not have; dropped`);
  else return tasks;
  return [null];
}

/** Splits a batch's messages into delivery slots; a packed message contributes one slot per delivery it carries. */
export function decodeBatch(messages: readonly QueueMessage[], hasShard: (shard: number) => boolean): DecodedBatch {
  const tasks: Array<DeliveryTask | null> = [];
  const messageOf: number[] = [];
  const slotsOf = messages.map((message, index) =>
    tasksOfMessage(message, hasShard).map((task) => {
      messageOf.push(index);
      return tasks.push(task) - 1;
    }),
  );
  return { tasks, messageOf, slotsOf };
}

/** The slots of a batch that belong to each data shard present in it. */
export function byShard(tasks: ReadonlyArray<DeliveryTask | null>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  tasks.forEach((task, index) => {
    if (!task) return;
    const group = groups.get(task.shard);
    if (group) group.push(index);
    else groups.set(task.shard, [index]);
  });
  return groups;
}
