import { z } from "zod";
import type { ScheduledDelivery } from "../db/deliveries";
import { MAX_TENANT_ID_LENGTH } from "../limits";

/**
 * The body of every queue message: the delivery's primary key only (payloads stay in D1 or R2).
 * `token` names the delivery's live queue chain; a message whose token no longer matches the row
 * is a stale duplicate. `endpoint_id` is "" for a one-off webhook_url delivery. `shard` is the index
 * of the data shard (binding SHARD_{shard}) that holds the delivery, so the consumer reads and
 * records it there without asking the control database.
 */
export const DeliveryTask = z.object({
  delivery_id: z.uuid(),
  tenant_id: z.string().min(1).max(MAX_TENANT_ID_LENGTH),
  endpoint_id: z.union([z.uuid(), z.literal("")]),
  token: z.string().min(1).max(64),
  shard: z.int().min(0),
});
export type DeliveryTask = z.infer<typeof DeliveryTask>;

/** Queues accepts at most 100 messages per sendBatch call. */
const SEND_BATCH_LIMIT = 100;

/**
 * Sends one queue message per scheduled delivery of data shard `shard`, in as few sendBatch calls
 * as Queues allows.
 */
export async function enqueueDeliveries(queue: Queue, shard: number, deliveries: ScheduledDelivery[]): Promise<void> {
  for (let i = 0; i < deliveries.length; i += SEND_BATCH_LIMIT) {
    await queue.sendBatch(
      deliveries.slice(i, i + SEND_BATCH_LIMIT).map((d) => ({
        body: { delivery_id: d.id, tenant_id: d.tenant_id, endpoint_id: d.endpoint_id, token: d.queue_token, shard } satisfies DeliveryTask,
        contentType: "json" as const,
      })),
    );
  }
}
