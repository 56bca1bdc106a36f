import { describe, expect, it } from "vitest";
import { storeMessages } from "../src/db/message-batch";
import { messageKeyOf, newMessageId, SQL_MESSAGE_KEY } from "../src/lib/ids";
import { newTenant } from "./support/api";
import { shardOf } from "./support/shards";

// A message to one endpoint stores that endpoint's id as 16 bytes (migrations/shard/0014) only when
// the bytes give the same text back; any other endpoint id stays text.

/** Stores a message to the endpoint `endpointId` (its row written straight to the shard) and answers how its row holds and reads the targets. */
async function storedTargets(endpointId: string) {
  const { id: tenantId } = await newTenant();
  const db = await shardOf(tenantId);
  await db
    .prepare("INSERT INTO endpoints (id, tenant_id, url, signature, retry, timeout_ms, created_at, updated_at) VALUES (?, ?, 'https://example.com/hook', '{}', '{}', 1000, 0, 0)")
    .bind(endpointId, tenantId)
    .run();
  const filtersVersion = (await db.prepare("SELECT filters_version FROM tenants WHERE id = ?").bind(tenantId).first<number>("filters_version"))!;
  const now = Date.now();
  const id = newMessageId(tenantId, now);
  const deliveries = await storeMessages(db, {
    tenantId,
    now,
    expiresBefore: 0,
    filtersVersion,
    messages: [{ id, event: "x", source: null, payload: null, payloadInR2: false, endpointIds: [endpointId], dueAt: null }],
  });
  const { bucket, offset, seq } = messageKeyOf(id)!;
  const row = await db
    .prepare(`SELECT targets, typeof(packed_targets) AS stored FROM messages WHERE key = ${SQL_MESSAGE_KEY("?1", "?2", "?3")}`)
    .bind(bucket, offset, seq)
    .first<{ targets: string; stored: string }>();
  return { targets: JSON.parse(row!.targets) as string[], stored: row!.stored, deliveredTo: deliveries.map((d) => d.endpoint_id) };
}

describe("a message's single target", () => {
  it("is stored as 16 bytes when it is a canonical lowercase UUID, and reads back the same", async () => {
    const endpointId = crypto.randomUUID();
    expect(await storedTargets(endpointId)).toEqual({ targets: [endpointId], stored: "blob", deliveredTo: [endpointId] });
  });

  it("stays text when it has the UUID's dashes and length but more dashes than a UUID, and reads back the same", async () => {
    const endpointId = "abcdef01-2345-6789-abcd-ef01-2345-67";
    expect(await storedTargets(endpointId)).toEqual({ targets: [endpointId], stored: "text", deliveredTo: [endpointId] });
  });

  it("stays text when it has the UUID's shape but letters that are not hex digits, and reads back the same", async () => {
    const endpointId = "xyzxyzxy-with-uuid-shap-nothexdigits";
    expect(await storedTargets(endpointId)).toEqual({ targets: [endpointId], stored: "text", deliveredTo: [endpointId] });
  });

  it("stays text when it is a UUID in capitals, and reads back the same", async () => {
    const endpointId = crypto.randomUUID().toUpperCase();
    expect(await storedTargets(endpointId)).toEqual({ targets: [endpointId], stored: "text", deliveredTo: [endpointId] });
  });
});
