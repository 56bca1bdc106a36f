import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { compressText } from "../src/lib/compression";
import { R2_PAYLOAD_THRESHOLD_BYTES } from "../src/limits";
import { PURGE_LIMIT } from "../src/delivery/sweeper";
import { purgeQueuedPayloads } from "../src/ops/payload-purges";
import { PayloadStorageUnavailable, payloadKey } from "../src/payloads";
import { apiJson, newTenant } from "./support/api";
import { shardOf } from "./support/shards";
import { cronWith, fetchWith } from "./support/worker";

// A message whose payload is in R2 goes in two steps: its row, then its object. When R2 refused the
// second, the object used to stay in R2 for good (a deleted tenant's payloads included); now the row's
// deletion queues it (migrations/shard/0019) and the sweeper deletes it on its next run.

const DAY = 86_400_000;
const R2_REFUSES = { ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "r2_error_rate=1" };

/** A tenant with one message whose payload is stored in R2; its R2 key. */
async function messageInR2(): Promise<{ tenantId: string; key: string }> {
  const { id: tenantId } = await newTenant();
  // Random digits barely compress: well over the threshold once compressed.
  const digits = Array.from(crypto.getRandomValues(new Uint8Array(3 * R2_PAYLOAD_THRESHOLD_BYTES)), (b) => b % 10).join("");
  expect(compressText(`{"blob":"${digits}"}`).byteLength).toBeGreaterThan(R2_PAYLOAD_THRESHOLD_BYTES);
  const res = await apiJson("POST", `/v1/tenants/${tenantId}/messages`, { body: { event: "x", payload: { blob: digits }, webhook_url: "https://example.com/hook" } });
  expect(res.status).toBe(202);
  const key = payloadKey(tenantId, res.body.id as string);
  expect(await env.PAYLOADS.head(key)).not.toBeNull();
  return { tenantId, key };
}

describe("R2 payloads of messages gone", () => {
  it("an object R2 refused to delete when retention purged its message is deleted by the next sweep", async () => {
    const { key } = await messageInR2();
    const later = Date.now() + 31 * DAY;
    await cronWith(R2_REFUSES, later).catch(() => undefined);
    expect(await env.PAYLOADS.head(key)).not.toBeNull();
    await cronWith({}, later + 60_000);
    expect(await env.PAYLOADS.head(key)).toBeNull();
  });

  it("the object of a message written before the packing (its id as text) is deleted when retention purges the message", async () => {
    const { tenantId, key } = await messageInR2();
    const db = await shardOf(tenantId);
    await db.prepare("UPDATE messages SET packed_id = id WHERE tenant_id = ?").bind(tenantId).run();
    expect(await db.prepare("SELECT typeof(packed_id) AS type FROM messages WHERE tenant_id = ?").bind(tenantId).first()).toEqual({ type: "text" });
    await cronWith({}, Date.now() + 31 * DAY);
    expect(await env.PAYLOADS.head(key)).toBeNull();
  });

  it("deleting a tenant while R2 refuses to delete its payloads answers 204, and the sweeper deletes them", async () => {
    const { tenantId, key } = await messageInR2();
    const res = await fetchWith(R2_REFUSES, "DELETE", `/v1/tenants/${tenantId}`);
    expect(res.status).toBe(204);
    expect(await env.PAYLOADS.head(key)).not.toBeNull();
    await cronWith();
    expect(await env.PAYLOADS.head(key)).toBeNull();
  });

  it("deleting a tenant deletes its R2 payloads at once when R2 takes the delete", async () => {
    const { tenantId, key } = await messageInR2();
    expect((await apiJson("DELETE", `/v1/tenants/${tenantId}`)).status).toBe(204);
    expect(await env.PAYLOADS.head(key)).toBeNull();
  });

  it("one sweep deletes as many queued R2 payloads as retention may purge messages in it, so the queue drains as fast as retention fills it", async () => {
    const db = await shardOf((await newTenant()).id);
    const tenantId = `gone-${crypto.randomUUID()}`;
    await db
      .prepare("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2) INSERT INTO payload_purges (tenant_id, message_id) SELECT ?1, printf('m%05d', i) FROM n")
      .bind(tenantId, PURGE_LIMIT)
      .run();
    await cronWith();
    expect(await db.prepare("SELECT count(*) AS n FROM payload_purges WHERE tenant_id = ?").bind(tenantId).first("n")).toBe(0);
  });

  it("a queued payload R2 refuses to delete fails the purge with PayloadStorageUnavailable and stays queued", async () => {
    const db = await shardOf((await newTenant()).id);
    const tenantId = `gone-${crypto.randomUUID()}`;
    await db.prepare("INSERT INTO payload_purges (tenant_id, message_id) VALUES (?, 'm1')").bind(tenantId).run();
    const refusing = { delete: () => Promise.reject(new Error("We encountered an internal error. Please try again. (10001)")) } as unknown as R2Bucket;
    await expect(purgeQueuedPayloads({ PAYLOADS: refusing }, db)).rejects.toBeInstanceOf(PayloadStorageUnavailable);
    expect(await db.prepare("SELECT count(*) AS n FROM payload_purges WHERE tenant_id = ?").bind(tenantId).first("n")).toBe(1);
  });
});
