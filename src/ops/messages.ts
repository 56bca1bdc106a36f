import { cancelUnattemptedDeliveries, getMessageWithDeliveries, listMessages as listStoredMessages, type MessageListQuery } from "../db/messages";
import { iso } from "../db/pagination";
import { notFound } from "../errors";
import { readPayload } from "../payloads";
import type { EnqueueResponse } from "../schemas/messages";
import { enqueue } from "./enqueue";
import { SINGLE, type EnqueueRequest } from "./enqueue-request";
import { tenantDb } from "./tenant-db";
import { enqueueDeliveries } from "../delivery/task";

/**
 * Enqueues one message (the API's `POST …/messages`, and every test event): the enqueue pipeline
 * (src/ops/enqueue.ts) with a batch of one, its errors naming the fields of a single enqueue's
 * body (`payload`, `webhook_url`, `endpoint_ids.0`). A live Idempotency-Key of the same request
 * returns the first response, `replayed`.
 *
 * @param now epoch ms
 * @throws ApiError as enqueue does
 */
export async function enqueueMessage(env: Env, req: EnqueueRequest, now = Date.now()): Promise<{ response: EnqueueResponse; replayed: boolean }> {
  const { results } = await enqueue(env, { tenantId: req.tenantId, requests: [req] }, SINGLE, now);
  const { replayed, ...response } = results[0]!;
  return { response, replayed: replayed === true };
}

/** A tenant's message with its payload and every delivery's state; 404 when the tenant has none with this id. */
export async function getMessage(env: Env, tenantId: string, messageId: string) {
  const { db } = await tenantDb(env, tenantId);
  const message = await getMessageWithDeliveries(db, tenantId, messageId);
  if (!message) throw notFound("Message");
  const { row, deliveries } = message;
  const payload = await readPayload(env, { ...row, message_id: row.id });
  return { id: row.id, event: row.event, source: row.source, payload, created_at: iso(row.created_at), deliveries };
}

/**
 * Cancels a tenant's message (`POST …/messages/{id}/cancel`): its deliveries not attempted yet
 * become `cancelled`, the others stay as they are; cancelling again, or a message delivered in full,
 * changes nothing. One D1 write, then the message as getMessage reads it. A FIFO delivery that the
 * cancel made the head of its order is queued at once; if the queue refuses it, the cancel stands
 * and the sweeper re-arms that delivery once its claim lapses (SWEEP_STUCK_AFTER_SECONDS).
 * @param now epoch ms
 * @throws ApiError 404 when the tenant has no message with this id
 */
export async function cancelMessage(env: Env, tenantId: string, messageId: string, now = Date.now()) {
  const shard = await tenantDb(env, tenantId);
  const { woken } = await cancelUnattemptedDeliveries(shard.db, tenantId, messageId, now);
  const next = woken.map((w) => ({ id: w.delivery_id, tenant_id: w.tenant_id, endpoint_id: w.endpoint_id, queue_token: w.token }));
  await enqueueDeliveries(env.DELIVERIES, shard.index, next, now).catch((error: Error) => {
    console.error(`queueing ${next.length} FIFO deliveries woken by cancelling message ${messageId} failed, the sweeper re-arms them: ${error.message}`);
  });
  return getMessage(env, tenantId, messageId);
}

/**
 * A page of a tenant's messages, newest first, without payloads, filtered by event, source and age
 * (`since`, epoch ms); a filtered page may be short with a `next_cursor` (src/db/messages.ts).
 */
export async function listMessages(env: Env, tenantId: string, query: MessageListQuery) {
  const { db } = await tenantDb(env, tenantId);
  return listStoredMessages(db, tenantId, query);
}
