import { z } from "zod";
import type { ScheduledDelivery } from "../db/deliveries";
import { MAX_TENANT_ID_LENGTH } from "../limits";
import { hopSeconds } from "./backoff";

const TenantId = z.string().min(1).max(MAX_TENANT_ID_LENGTH);
const EndpointId = z.union([z.uuid(), z.literal("")]);
const Token = z.string().min(1).max(64);

/**
 * One delivery as the consumer handles it: its primary key only (payloads stay in D1 or R2).
 * `token` names the delivery's live queue chain; a message whose token no longer matches the row
 * is a stale duplicate. `endpoint_id` is "" for a one-off webhook_url delivery. `shard` is the index
 * of the data shard (binding SHARD_{shard}) that holds the delivery, so the consumer reads and
 * records it there without asking the control database. A queue message carrying one delivery is
 * exactly this object (the form every message had before packing, so messages queued then still read).
 */
export const DeliveryTask = z.object({
  delivery_id: z.uuid(),
  tenant_id: TenantId,
  endpoint_id: EndpointId,
  token: Token,
  shard: z.int().min(0),
});
export type DeliveryTask = z.infer<typeof DeliveryTask>;

/**
 * Most deliveries one queue message carries (K). Queues bills 3 operations (write, read, delete)
 * per message of up to 64 KB, $0.40 per million operations: $1.20 per million deliveries at one
 * delivery a message, $0.12 at ten. Beyond ten the saving is cents per million, while a consumer
 * batch (max_batch_size 100 messages) grows to 100 × K deliveries that must all start within its
 * send budget (60 s, six sends in flight; at ~130 ms a send that is ~2,700 sends): at K = 10 a full
 * batch is 1,000 deliveries, well inside it. A packed message is ~1.4 KB (a 64-character tenant id
 * once, then ~130 bytes a delivery), far under the 128 KB message limit and the 64 KB billing unit,
 * and 100 of them stay under sendBatch's 256 KB.
 */
export const DELIVERIES_PER_MESSAGE = 10;

/** A queue message carrying 2–K deliveries of one tenant on one data shard; each is handled on its own. */
export const DeliveryPack = z.object({
  shard: z.int().min(0),
  tenant_id: TenantId,
  deliveries: z
    .array(z.object({ delivery_id: z.uuid(), endpoint_id: EndpointId, token: Token }))
    .min(1)
    .max(DELIVERIES_PER_MESSAGE),
});
export type DeliveryPack = z.infer<typeof DeliveryPack>;

/** The deliveries a queue message body carries, or null when it is neither a task nor a pack. */
export function tasksOf(body: unknown): DeliveryTask[] | null {
  const task = DeliveryTask.safeParse(body);
  if (task.success) return [task.data];
  const pack = DeliveryPack.safeParse(body);
  if (!pack.success) return null;
  const { shard, tenant_id } = pack.data;
  return pack.data.deliveries.map((d) => ({ ...d, tenant_id, shard }));
}

/** The queue message bodies for some deliveries: one tenant's, in packs of up to K, a lone delivery as a plain task. */
export function bodiesOf(tasks: DeliveryTask[]): Array<DeliveryTask | DeliveryPack> {
  const groups = new Map<string, DeliveryTask[]>();
  for (const t of tasks) {
    const group = `${t.shard}/${t.tenant_id}`;
    const list = groups.get(group);
    if (list) list.push(t);
    else groups.set(group, [t]);
  }
  const bodies: Array<DeliveryTask | DeliveryPack> = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += DELIVERIES_PER_MESSAGE) {
      const chunk = group.slice(i, i + DELIVERIES_PER_MESSAGE);
      const { shard, tenant_id } = chunk[0]!;
      bodies.push(
        chunk.length === 1
          ? chunk[0]!
          : { shard, tenant_id, deliveries: chunk.map(({ delivery_id, endpoint_id, token }) => ({ delivery_id, endpoint_id, token })) },
      );
    }
  }
  return bodies;
}

/** Queues accepts at most 100 messages per sendBatch call. */
const SEND_BATCH_LIMIT = 100;

/** Sends queue messages in as few sendBatch calls as Queues allows. */
async function sendAll(queue: Queue, messages: MessageSendRequest[]): Promise<void> {
  for (let i = 0; i < messages.length; i += SEND_BATCH_LIMIT) await queue.sendBatch(messages.slice(i, i + SEND_BATCH_LIMIT));
}

/**
 * Queues the deliveries of data shard `shard`, packed K to a message (bodiesOf), in as few
 * sendBatch calls as Queues allows: a fan-out to N endpoints or a batch of messages costs ⌈N / K⌉
 * queue messages. One with a later `next_attempt_at` (epoch ms; a scheduled message) is queued
 * with the delay of its first hop towards it (hopSeconds, from `now`), packed only with deliveries
 * due at the same hop.
 */
export async function enqueueDeliveries(
  queue: Queue,
  shard: number,
  deliveries: Array<ScheduledDelivery & { next_attempt_at?: number | null }>,
  now = Date.now(),
): Promise<void> {
  const byDelay = new Map<number, DeliveryTask[]>();
  for (const d of deliveries) {
    const delay = hopSeconds(d.next_attempt_at ?? null, now);
    const task = { delivery_id: d.id, tenant_id: d.tenant_id, endpoint_id: d.endpoint_id, token: d.queue_token, shard };
    // Appended in place: copying the list per delivery made a 65,535-target fan-out quadratic (minutes of CPU).
    const due = byDelay.get(delay);
    if (due) due.push(task);
    else byDelay.set(delay, [task]);
  }
  const messages = [...byDelay].flatMap(([delay, tasks]) =>
    bodiesOf(tasks).map((body) => ({ body, contentType: "json" as const, ...(delay > 0 ? { delaySeconds: delay } : {}) })),
  );
  await sendAll(queue, messages);
}

/**
 * Queues deliveries again, each group after its delay (seconds, within Queues' 12 h): the consumer's
 * way of bringing back some deliveries of a packed message and not the others.
 */
export async function requeueTasks(queue: Queue, groups: Array<{ tasks: DeliveryTask[]; delaySeconds: number }>): Promise<void> {
  const messages = groups.flatMap(({ tasks, delaySeconds }) => bodiesOf(tasks).map((body) => ({ body, contentType: "json" as const, delaySeconds })));
  if (messages.length > 0) await sendAll(queue, messages);
}
