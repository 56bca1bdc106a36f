// The queue of R2 payloads whose message is gone (migrations/shard/0019_queue_r2_payload_deletes.sql),
// on each data shard: a trigger fills it as messages are deleted.

/** A queued payload: the message it belonged to. */
export interface QueuedPayload {
  tenant_id: string;
  id: string;
}

/** Up to `limit` queued payloads, in primary-key order (one range read). */
export async function queuedPayloads(db: D1Database, limit: number): Promise<QueuedPayload[]> {
  const { results } = await db.prepare("SELECT tenant_id, message_id AS id FROM payload_purges ORDER BY tenant_id, message_id LIMIT ?").bind(limit).all<QueuedPayload>();
  return results;
}

/** Takes `payloads` off the queue: their objects are deleted. One statement, each seeking its row. */
export async function removeQueuedPayloads(db: D1Database, payloads: QueuedPayload[]): Promise<void> {
  if (payloads.length === 0) return;
  await db
    .prepare(
      `DELETE FROM payload_purges WHERE (tenant_id, message_id) IN (
         SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
    )
    .bind(JSON.stringify(payloads.map((p) => [p.tenant_id, p.id])))
    .run();
}
