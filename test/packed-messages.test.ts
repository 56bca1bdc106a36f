import { describe, expect, it } from "vitest";
import { deliveryIdOf, messageCreatedAt, messageKeyOf, newMessageId, packedMessageId, rowKeyText, SQL_MESSAGE_KEY, tenantBucket } from "../src/lib/ids";
import { apiJson, bucket, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { consume, deliveryRow, enqueueHeld } from "./support/worker";
import { shardOf } from "./support/shards";

// Message rows store their id, a single target and their time packed (migrations/shard/0014), and
// rows written before that migration keep their text: both must read back exactly as they were
// enqueued, through the same `id`, `targets` and `created_at` columns every query reads.

interface StoredColumns {
  id: string;
  targets: string;
  created_at: number;
  id_type: string;
  targets_type: string;
  packed_created_at: number;
}

async function storedColumns(tenantId: string, messageId: string): Promise<StoredColumns> {
  const { bucket, offset, seq } = messageKeyOf(messageId)!;
  const row = await (await shardOf(tenantId))
    .prepare(
      `SELECT id, targets, created_at, typeof(packed_id) AS id_type, typeof(packed_targets) AS targets_type, packed_created_at
       FROM messages WHERE key = ${SQL_MESSAGE_KEY("?1", "?2", "?3")}`,
    )
    .bind(bucket, offset, seq)
    .first<StoredColumns>();
  return row!;
}

describe("packed message rows", () => {
  it("a message to one endpoint stores its id, target and time packed, and reads them back as enqueued", async () => {
    const { id: tenantId } = await newTenant();
    const endpoint = await newEndpoint(tenantId, { url: "https://example.com/hook" });
    const { message } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
    const row = await storedColumns(tenantId, message.id);
    expect(row).toMatchObject({ id_type: "blob", targets_type: "blob", packed_created_at: 0 });
    expect(row.id).toBe(message.id);
    expect(JSON.parse(row.targets)).toEqual([endpoint.id]);
    expect(new Date(row.created_at).toISOString()).toBe((message as { created_at?: string }).created_at);
  });

  it("polling a packed message answers its id, time and delivery as the enqueue did", async () => {
    const { id: tenantId } = await newTenant();
    const endpoint = await newEndpoint(tenantId, { url: "https://example.com/hook" });
    const enqueued = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "x", payload: { a: 1 } } });
    const polled = await apiJson("GET", `/v1/tenants/${tenantId}/messages/${enqueued.body.id}`);
    expect(polled.status).toBe(200);
    expect(polled.body).toMatchObject({ id: enqueued.body.id, created_at: enqueued.body.created_at, payload: { a: 1 } });
    expect(polled.body.deliveries.map((d: { id: string; endpoint_id: string }) => [d.id, d.endpoint_id])).toEqual([[enqueued.body.deliveries[0].id, endpoint.id]]);
  });

  it("a message with several targets or a one-off webhook_url keeps its targets as JSON text", async () => {
    const { id: tenantId } = await newTenant();
    const a = await newEndpoint(tenantId, { url: "https://example.com/a" });
    const b = await newEndpoint(tenantId, { url: "https://example.com/b" });
    const { message: fanOut } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
    const fanOutRow = await storedColumns(tenantId, fanOut.id);
    expect(fanOutRow.targets_type).toBe("text");
    expect(JSON.parse(fanOutRow.targets)).toEqual([a.id, b.id].sort());
    const { id: alone } = await newTenant();
    const { message: oneOff } = await enqueueHeld(alone, { event: "x", payload: 1, webhook_url: "https://example.com/once" });
    const oneOffRow = await storedColumns(alone, oneOff.id);
    expect(oneOffRow).toMatchObject({ targets_type: "text", targets: '[""]', id: oneOff.id });
  });

  it("the id and time SQL rebuild from a packed row are the message's, for any tenant bucket, millisecond and sequence", async () => {
    const { id: tenantId } = await newTenant();
    const db = await shardOf(tenantId);
    const epoch = Date.UTC(2025, 0, 1);
    const tenantInBucket = (bucket: number) => {
      for (let i = 0; ; i++) if (tenantBucket(`t${i}`) === bucket) return `t${i}`;
    };
    const ids = [
      newMessageId(tenantInBucket(0), epoch, 0),
      newMessageId(tenantInBucket(0x7fff), epoch + 2 ** 40 - 1, 127),
      ...Array.from({ length: 100 }, (_, i) => newMessageId(`tenant-${i}`, epoch + Math.floor(Math.random() * 2 ** 40), i)),
    ];
    await db.batch(
      ids.map((id) =>
        db
          .prepare("INSERT INTO messages (key, tenant_id, packed_id, event, packed_targets, payload, packed_created_at) VALUES (CAST(? AS INTEGER), ?, unhex(?), 'x', '[]', NULL, 0)")
          .bind(rowKeyText(messageKeyOf(id)!), tenantId, packedMessageId(id)),
      ),
    );
    const rebuilt = await Promise.all(ids.map((id) => storedColumns(tenantId, id)));
    expect(rebuilt.map((r) => [r.id, r.created_at])).toEqual(ids.map((id) => [id, messageCreatedAt(id)]));
  });

  it("packing refuses an id the row key cannot rebuild: a delivery id, a UUIDv4", () => {
    const message = newMessageId("t", Date.now());
    expect(() => packedMessageId(deliveryIdOf(message, 0))).toThrow(/not a message id/);
    expect(() => packedMessageId(crypto.randomUUID())).toThrow(/not a message id/);
    expect(packedMessageId(message)).toMatch(/^[0-9a-f]{12}$/);
  });

  it("packing with the row key its caller already parsed gives the same packed id, and still refuses a delivery id", () => {
    const message = newMessageId("t", Date.now());
    const delivery = deliveryIdOf(message, 0);
    expect(packedMessageId(message, messageKeyOf(message))).toBe(packedMessageId(message));
    expect(() => packedMessageId(delivery, messageKeyOf(delivery))).toThrow(/not a message id/);
  });

  it("a row written before the packing (text id, JSON targets, its time) reads back and polls as it was", async () => {
    const { id: tenantId } = await newTenant();
    const endpoint = await newEndpoint(tenantId, { url: "https://example.com/hook" });
    const db = await shardOf(tenantId);
    const at = Date.now() - 5_000;
    const id = newMessageId(tenantId, at);
    // An old row's created_at may differ from its key's millisecond: it is read as stored.
    const createdAt = at - 1;
    await db.batch([
      db
        .prepare("INSERT INTO messages (key, tenant_id, packed_id, event, packed_targets, payload, packed_created_at) VALUES (CAST(? AS INTEGER), ?, ?, 'x', ?, NULL, ?)")
        .bind(rowKeyText(messageKeyOf(id)!), tenantId, id, JSON.stringify([endpoint.id]), createdAt),
      db
        .prepare("INSERT INTO deliveries (tenant_id, endpoint_id, id, status, packed_queue_token, created_at, updated_at) VALUES (?, ?, ?, 'succeeded', 't', ?, ?)")
        .bind(tenantId, endpoint.id, deliveryIdOf(id, 0), createdAt, createdAt),
    ]);
    const row = await storedColumns(tenantId, id);
    expect(row).toMatchObject({ id, targets: JSON.stringify([endpoint.id]), created_at: createdAt, id_type: "text", targets_type: "text" });
    const listed = await apiJson("GET", `/v1/tenants/${tenantId}/messages`);
    expect(listed.body.data).toEqual([{ id, event: "x", source: null, created_at: new Date(createdAt).toISOString() }]);
    const delivery = await apiJson("GET", `/v1/tenants/${tenantId}/deliveries/${deliveryIdOf(id, 0)}`);
    expect(delivery.body).toMatchObject({ id: deliveryIdOf(id, 0), message_id: id, endpoint_id: endpoint.id, status: "succeeded" });
  });

  it("a new delivery stores its queue token as 8 bytes and reads it as the 16 hex digits its queue message carries", async () => {
    const { id: tenantId } = await newTenant();
    await newEndpoint(tenantId, { url: "https://example.com/hook" });
    const { message, tasks } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
    const row = await (await shardOf(tenantId))
      .prepare("SELECT queue_token, typeof(packed_queue_token) AS stored, length(packed_queue_token) AS bytes FROM deliveries WHERE tenant_id = ? AND id = ?")
      .bind(tenantId, message.deliveries[0]!.id)
      .first<{ queue_token: string; stored: string; bytes: number }>();
    expect(row).toMatchObject({ stored: "blob", bytes: 8 });
    expect(row!.queue_token).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(tasks)).toContain(row!.queue_token);
  });

  it("a delivery whose token was stored as text before the packing is sent by a queue message carrying that token", async () => {
    const { id: tenantId } = await newTenant();
    const name = bucket();
    await newEndpoint(tenantId, { url: `${receiverUrl()}/ok/${name}` });
    const { message, tasks } = await enqueueHeld(tenantId, { event: "x", payload: 1 });
    const deliveryId = message.deliveries[0]!.id;
    const { queue_token: token } = (await deliveryRow(deliveryId))!;
    const oldToken = "0123456789abcdef";
    await (await shardOf(tenantId)).prepare("UPDATE deliveries SET packed_queue_token = ? WHERE tenant_id = ? AND id = ?").bind(oldToken, tenantId, deliveryId).run();
    await consume(tasks.map((t) => JSON.parse(JSON.stringify(t).replaceAll(token, oldToken))));
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "succeeded", queue_token: oldToken });
    expect(await received(name)).toHaveLength(1);
  });
});
