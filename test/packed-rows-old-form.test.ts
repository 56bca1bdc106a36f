import { describe, expect, it } from "vitest";
import { messageKeyOf, SQL_MESSAGE_KEY } from "../src/lib/ids";
import { apiJson, bucket, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { apiHeld, consume, deliveryRow, enqueueHeld, replayHeld } from "./support/worker";
import { shardOf } from "./support/shards";

// Rows written before migrations/shard/0014 keep their id, targets, time and queue tokens as text:
// everything a caller or the relay does with a message must work on them as on packed rows.

/** Rewrites a message's row and its deliveries' rows into the form they had before the packing. */
async function unpack(tenantId: string, messageId: string): Promise<void> {
  const { bucket: b, offset, seq } = messageKeyOf(messageId)!;
  const db = await shardOf(tenantId);
  await db.batch([
    db
      .prepare(`UPDATE messages SET packed_id = id, packed_targets = targets, packed_created_at = created_at WHERE key = ${SQL_MESSAGE_KEY("?1", "?2", "?3")}`)
      .bind(b, offset, seq),
    db.prepare("UPDATE deliveries SET packed_queue_token = queue_token WHERE tenant_id = ?1 AND substr(id, 1, 32) = substr(?2, 1, 32)").bind(tenantId, messageId),
  ]);
  const types = await db
    .prepare(`SELECT typeof(packed_id) AS id, typeof(packed_targets) AS targets, packed_created_at > 0 AS time FROM messages WHERE key = ${SQL_MESSAGE_KEY("?1", "?2", "?3")}`)
    .bind(b, offset, seq)
    .first();
  expect(types).toEqual({ id: "text", targets: "text", time: 1 });
}

describe("message rows written before the packing", () => {
  it("an enqueue repeated with the Idempotency-Key of an unpacked message answers the first response", async () => {
    const { id: tenantId } = await newTenant();
    await newEndpoint(tenantId, { url: "https://example.com/hook" });
    const headers = { "idempotency-key": `key-${crypto.randomUUID()}` };
    const first = await apiHeld("POST", `/v1/tenants/${tenantId}/messages`, { event: "x", payload: 1 }, { headers });
    const body = await first.res.json<{ id: string }>();
    await unpack(tenantId, body.id);
    const again = await apiHeld("POST", `/v1/tenants/${tenantId}/messages`, { event: "x", payload: 1 }, { headers });
    expect(again.res.status).toBe(first.res.status);
    expect(await again.res.json()).toEqual(body);
  });

  it("a delivery of an unpacked message retried through the API is sent once, by the new queue message", async () => {
    const { id: tenantId } = await newTenant();
    const name = bucket();
    await newEndpoint(tenantId, { url: `${receiverUrl()}/ok/${name}` });
    const { message, tasks } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
    await unpack(tenantId, message.id);
    const replayed = await replayHeld(tenantId, message.deliveries[0]!.id);
    await consume([...tasks, replayed]);
    expect(await received(name)).toHaveLength(1);
    expect(await deliveryRow(message.deliveries[0]!.id)).toMatchObject({ status: "succeeded", queue_token: replayed.token });
  });

  it("an unpacked message cancelled before its attempt is never sent", async () => {
    const { id: tenantId } = await newTenant();
    const name = bucket();
    await newEndpoint(tenantId, { url: `${receiverUrl()}/ok/${name}` });
    const { message, tasks } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
    await unpack(tenantId, message.id);
    const cancelled = await apiJson("POST", `/v1/tenants/${tenantId}/messages/${message.id}/cancel`);
    expect(cancelled.status).toBe(200);
    await consume(tasks);
    expect(await received(name)).toHaveLength(0);
    expect(await deliveryRow(message.deliveries[0]!.id)).toMatchObject({ status: "cancelled" });
  });

  it("an unpacked one-off message is sent to its webhook_url and polls as enqueued", async () => {
    const { id: tenantId } = await newTenant();
    const name = bucket();
    const { message, tasks } = await enqueueHeld(tenantId, { event: "x", payload: { a: 1 }, webhook_url: `${receiverUrl()}/ok/${name}` });
    await unpack(tenantId, message.id);
    await consume(tasks);
    expect(await received(name)).toHaveLength(1);
    const polled = await apiJson("GET", `/v1/tenants/${tenantId}/messages/${message.id}`);
    expect(polled.body).toMatchObject({ id: message.id, payload: { a: 1 }, deliveries: [{ id: message.deliveries[0]!.id, status: "succeeded" }] });
  });
});
