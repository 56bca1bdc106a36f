import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/errors";
import { getDelivery, listDeliveries, recoverEndpoint, replayDelivery } from "../../src/ops/deliveries";
import { createEndpoint } from "../../src/ops/endpoints";
import { enqueueMessage } from "../../src/ops/messages";
import { createTenant } from "../../src/ops/tenants";
import { deliveryRow, holdingQueue } from "../support/worker";
import { allShards, shardIndexOf, shardOf } from "../support/shards";

/** A tenant with one endpoint, and an env whose delivery queue keeps what it is sent. */
async function setUp() {
  const { queue, sent } = holdingQueue();
  const held = { ...env, DELIVERIES: queue };
  const { id: tenantId } = await createTenant(env, { name: "Ops test tenant" });
  const endpoint = await createEndpoint(env, tenantId, { url: "https://example.com/hooks" });
  return { env: held, sent, tenantId, endpointId: endpoint.id };
}

/** Enqueues one message to the endpoint and returns its delivery id. */
async function deliveryTo(s: Awaited<ReturnType<typeof setUp>>, now = Date.now()): Promise<string> {
  const { response } = await enqueueMessage(s.env, { tenantId: s.tenantId, event: "test.event", payload: "{}", value: {}, source: null, endpointIds: [s.endpointId] }, now);
  return response.deliveries[0]!.id;
}

const markFailed = async (id: string) => {
  for (const db of allShards()) await db.prepare("UPDATE deliveries SET status = 'failed', attempts = 3 WHERE id = ?").bind(id).run();
};

describe("delivery operations", () => {
  it("replayDelivery puts a failed delivery back to pending with a fresh budget and queues it under a new token", async () => {
    const s = await setUp();
    const id = await deliveryTo(s);
    await markFailed(id);
    const before = await deliveryRow(id);
    const replayed = await replayDelivery(s.env, s.tenantId, id);
    const after = await deliveryRow(id);
    expect(after).toMatchObject({ status: "pending", attempt_base: 3, queue_token: replayed.queue_token });
    expect(replayed.queue_token).not.toBe(before!.queue_token);
    expect(s.sent.at(-1)).toEqual({ delivery_id: id, tenant_id: s.tenantId, endpoint_id: s.endpointId, token: replayed.queue_token, shard: await shardIndexOf(s.tenantId) });
  });

  it("replayDelivery of another tenant's delivery is a 404 and changes nothing", async () => {
    const s = await setUp();
    const id = await deliveryTo(s);
    const { id: otherTenant } = await createTenant(env, { name: "Other" });
    const before = await deliveryRow(id);
    const sentBefore = s.sent.length;
    const error = await replayDelivery(s.env, otherTenant, id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
    expect(await deliveryRow(id)).toEqual(before);
    expect(s.sent).toHaveLength(sentBefore);
  });

  it("recoverEndpoint replays only the endpoint's failed deliveries created since the given time", async () => {
    const s = await setUp();
    const old = await deliveryTo(s, Date.now() - 3_600_000);
    const recent = await deliveryTo(s);
    const succeeded = await deliveryTo(s);
    for (const id of [old, recent]) await markFailed(id);
    await (await shardOf(s.tenantId)).prepare("UPDATE deliveries SET status = 'succeeded' WHERE id = ?").bind(succeeded).run();
    const replayed = await recoverEndpoint(s.env, s.tenantId, s.endpointId, Date.now() - 60_000);
    expect(replayed.map((d) => d.id)).toEqual([recent]);
    expect((await deliveryRow(old))!.status).toBe("failed");
    expect((await deliveryRow(recent))!.status).toBe("pending");
  });

  it("getDelivery shows one delivery with its event; listDeliveries filters by status", async () => {
    const s = await setUp();
    const failed = await deliveryTo(s);
    await deliveryTo(s);
    await markFailed(failed);
    expect(await getDelivery(s.env, s.tenantId, failed)).toMatchObject({ id: failed, event: "test.event", status: "failed", attempts: [] });
    const page = await listDeliveries(s.env, s.tenantId, { status: "failed", limit: 10 });
    expect(page.data.map((d) => d.id)).toEqual([failed]);
  });
});
