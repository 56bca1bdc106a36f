import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { consumeDeadLetters } from "../src/delivery/dead-letter";
import { sweep } from "../src/delivery/sweeper";
import { shardDb } from "../src/shards";
import { api, apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { DashboardClient, textOf } from "./support/dashboard-client";
import { flakyD1 } from "./support/flaky-d1";
import { countingRoundTrips } from "./support/round-trips";
import { shardIndexOf } from "./support/shards";
import { consume, deliveryRow, enqueueHeld, holdingQueue, sweepHeld } from "./support/worker";

const MINUTE = 60_000;
const SHARD_TABLES = {
  endpoints: "SELECT count(*) AS n FROM endpoints WHERE tenant_id = ?",
  messages: "SELECT count(*) AS n FROM messages WHERE tenant_id = ?",
  deliveries: "SELECT count(*) AS n FROM deliveries WHERE tenant_id = ?",
  // Attempts live in their delivery's row (the latest in columns, earlier ones in its history).
  attempts: "SELECT coalesce(sum(attempts), 0) AS n FROM deliveries WHERE tenant_id = ?",
  idempotency_keys: "SELECT count(*) AS n FROM idempotency_keys WHERE tenant_id = ?",
};

type Tenant = Awaited<ReturnType<typeof newTenant>> & { shard: number };

/**
 * One tenant on each data shard, index order. New tenants go to the emptier shard, so a few
 * creations always reach both whatever earlier tests left.
 */
async function tenantOnEachShard(): Promise<[Tenant, Tenant]> {
  const found = new Map<number, Tenant>();
  while (found.size < 2) {
    const tenant = await newTenant();
    const shard = await shardIndexOf(tenant.id);
    if (!found.has(shard)) found.set(shard, { ...tenant, shard });
  }
  return [found.get(0)!, found.get(1)!];
}

/** How many rows of each tenant-scoped table a shard holds for a tenant. */
async function rowsOn(shard: number, tenantId: string): Promise<Record<string, number>> {
  const counts = await Promise.all(
    Object.entries(SHARD_TABLES).map(async ([table, sql]) => [table, (await shardDb(env, shard).prepare(sql).bind(tenantId).first<number>("n"))!]),
  );
  return Object.fromEntries(counts);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("tenants on data shards", () => {
  it("two tenants created one after the other land on different shards", async () => {
    await tenantOnEachShard();
    // Now both shards are equally full, or one is one ahead; two in a row fill both in either case
    // once the shards are even, so create until they are, then check the next two.
    const counts = async () => Promise.all([0, 1].map(async (i) => (await env.DB.prepare("SELECT count(*) AS n FROM tenants WHERE shard = ?").bind(i).first<number>("n"))!));
    let [a, b] = await counts();
    while (a !== b) {
      await newTenant();
      [a, b] = await counts();
    }
    const first = await newTenant();
    const second = await newTenant();
    expect(new Set([await shardIndexOf(first.id), await shardIndexOf(second.id)])).toEqual(new Set([0, 1]));
  });

  it.each([0, 1])(
    "on shard %i: enqueue, delivery to the receiver, a failed attempt and its retry, replay, polling and the dashboard all work, and every row stays on the shard",
    async (index) => {
      const tenant = (await tenantOnEachShard())[index]!;
      const name = bucket();
      const endpoint = await newEndpoint(tenant.id, { url: `${receiverUrl()}/fail/1/${name}`, retry: { schedule: [5] } });
      const { message, tasks } = await enqueueHeld(tenant.id, { event: "order.paid", payload: { shard: index } });
      expect(tasks).toEqual([{ delivery_id: message.deliveries[0]!.id, tenant_id: tenant.id, endpoint_id: endpoint.id, token: expect.any(String), shard: index }]);
      const deliveryId = message.deliveries[0]!.id;

      const first = await consume(tasks);
      expect(first.result.retryMessages).toEqual([{ msgId: first.ids[0], delaySeconds: 5 }]);
      expect(await deliveryRow(deliveryId)).toMatchObject({ status: "retrying", attempts: 1, last_status_code: 500 });
      await consume(first.retried, { now: Date.now() + 6_000 });
      expect(await deliveryRow(deliveryId)).toMatchObject({ status: "succeeded", attempts: 2, last_status_code: 200 });

      // Replay through the API and the real queue: the queue message carries the shard to the consumer.
      expect((await api("POST", `/v1/tenants/${tenant.id}/deliveries/${deliveryId}/retry`)).status).toBe(202);
      const polled = await eventually(async () => {
        const res = await apiJson("GET", `/v1/tenants/${tenant.id}/deliveries/${deliveryId}`);
        return res.body.attempts?.length === 3 && res.body.status === "succeeded" && res.body;
      });
      expect(polled.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 200, 200]);
      expect((await received(name)).map((r) => r.body)).toEqual(Array(3).fill(`{"shard":${index}}`));
      const polledMessage = await apiJson("GET", `/v1/tenants/${tenant.id}/messages/${message.id}`);
      expect(polledMessage.body).toMatchObject({ id: message.id, payload: { shard: index }, deliveries: [{ id: deliveryId, status: "succeeded" }] });

      const browser = new DashboardClient();
      await browser.signIn(tenant.key);
      const page = await browser.get(`/dashboard/deliveries/${deliveryId}`);
      expect(page.status).toBe(200);
      expect(textOf(page.html)).toContain("order.paid");

      const keyed = await apiJson("POST", `/v1/tenants/${tenant.id}/messages`, {
        body: { event: "order.paid", payload: 2, endpoint_ids: [endpoint.id] },
        headers: { "idempotency-key": `key-${index}` },
      });
      expect(keyed.status).toBe(202);
      const own = await rowsOn(index, tenant.id);
      expect(own).toMatchObject({ endpoints: 1, messages: 2, deliveries: 2, idempotency_keys: 1 });
      expect(own.attempts).toBeGreaterThanOrEqual(3);
      expect(await rowsOn(1 - index, tenant.id)).toEqual({ endpoints: 0, messages: 0, deliveries: 0, attempts: 0, idempotency_keys: 0 });
    },
  );

  it("enqueue finds a tenant that another isolate deleted and created again on the other shard", async () => {
    const { id, shard } = (await tenantOnEachShard())[0]!;
    await shardIndexOf(id); // this isolate now caches shard 0 for the tenant
    // What another isolate's delete and re-create leave behind, without this isolate hearing of it.
    await shardDb(env, shard).prepare("DELETE FROM tenants WHERE id = ?").bind(id).run();
    await env.DB.prepare("UPDATE tenants SET shard = ? WHERE id = ?").bind(1 - shard, id).run();
    await shardDb(env, 1 - shard).prepare("INSERT INTO tenants (id) VALUES (?)").bind(id).run();

    const { message, tasks } = await enqueueHeld(id, { event: "x", payload: 1, webhook_url: "https://example.com/hook" });

    expect(tasks).toEqual([expect.objectContaining({ shard: 1 - shard })]);
    expect(await rowsOn(1 - shard, id)).toMatchObject({ messages: 1, deliveries: 1 });
    expect(await rowsOn(shard, id)).toMatchObject({ messages: 0, deliveries: 0 });
    expect(await deliveryRow(message.deliveries[0]!.id)).toMatchObject({ status: "pending" });
  });
});

/** What another isolate's deletion and re-creation of a tenant on the other shard leave behind, unheard of by this isolate. */
async function moveBehindThisIsolate(id: string, from: number): Promise<void> {
  await shardDb(env, from).prepare("DELETE FROM tenants WHERE id = ?").bind(id).run();
  await env.DB.prepare("UPDATE tenants SET shard = ? WHERE id = ?").bind(1 - from, id).run();
  await shardDb(env, 1 - from).prepare("INSERT INTO tenants (id) VALUES (?)").bind(id).run();
}

describe("a tenant deleted and created again on the other shard by another isolate", () => {
  it.each(["tenant key", "admin token"])("is found on its new shard by reads and writes with the %s", async (caller) => {
    const { id, key, shard } = (await tenantOnEachShard())[0]!;
    await shardIndexOf(id); // this isolate now caches the old shard
    await moveBehindThisIsolate(id, shard);
    const token = caller === "tenant key" ? key : undefined;

    const created = await apiJson("POST", `/v1/tenants/${id}/endpoints`, { token, body: { url: "https://example.com/hook" } });
    expect(created.status).toBe(201);
    const listed = await apiJson("GET", `/v1/tenants/${id}/endpoints`, { token });
    expect(listed.body.data.map((e: { id: string }) => e.id)).toEqual([created.body.id]);
    expect(await rowsOn(1 - shard, id)).toMatchObject({ endpoints: 1 });
    expect(await rowsOn(shard, id)).toMatchObject({ endpoints: 0 });
  });

  it("is found on its new shard by the dashboard", async () => {
    const { id, key, shard } = (await tenantOnEachShard())[0]!;
    const browser = new DashboardClient();
    await browser.signIn(key);
    await shardIndexOf(id);
    await moveBehindThisIsolate(id, shard);
    await shardDb(env, 1 - shard)
      .prepare("INSERT INTO endpoints (id, tenant_id, url, signature, retry, timeout_ms, created_at, updated_at) VALUES (?, ?, ?, '{}', '{}', 1000, 0, 0)")
      .bind(crypto.randomUUID(), id, "https://example.com/on-the-new-shard")
      .run();

    const page = await browser.get("/dashboard");
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toContain("on-the-new-shard");
  });

  it("an endpoint created with a key this isolate verified before the move lands on the new shard", async () => {
    const { id, key, shard } = (await tenantOnEachShard())[0]!;
    expect((await apiJson("GET", `/v1/tenants/${id}/endpoints`, { token: key })).status).toBe(200); // key and shard cached
    await moveBehindThisIsolate(id, shard);

    expect((await apiJson("POST", `/v1/tenants/${id}/endpoints`, { token: key, body: { url: "https://example.com/hook" } })).status).toBe(201);
    expect(await rowsOn(1 - shard, id)).toMatchObject({ endpoints: 1 });
  });

  it("creating an endpoint for a tenant another isolate deleted is a 404, while this isolate still accepts its key", async () => {
    const { id, key, shard } = (await tenantOnEachShard())[0]!;
    expect((await apiJson("GET", `/v1/tenants/${id}/endpoints`, { token: key })).status).toBe(200); // key and shard cached
    await shardDb(env, shard).prepare("DELETE FROM tenants WHERE id = ?").bind(id).run();
    await env.DB.prepare("DELETE FROM tenants WHERE id = ?").bind(id).run();

    const res = await apiJson("POST", `/v1/tenants/${id}/endpoints`, { token: key, body: { url: "https://example.com/hook" } });
    expect(res).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
  });
});

describe("the consumer on a batch from both shards", () => {
  /** Two held deliveries per shard, to the receiver's /ok path. */
  async function mixedBatch() {
    const tenants = await tenantOnEachShard();
    const name = bucket();
    const held = [];
    for (const tenant of tenants) {
      await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${name}` });
      for (const n of [1, 2]) held.push({ tenant, ...(await enqueueHeld(tenant.id, { event: "x", payload: n })) });
    }
    return { name, held, tasks: held.flatMap((h) => h.tasks) };
  }

  it("makes at most two D1 round trips per shard and records each delivery on its own shard", async () => {
    const { name, held, tasks } = await mixedBatch();
    const control = countingRoundTrips(env.DB);
    const shards = [countingRoundTrips(env.SHARD_0), countingRoundTrips(env.SHARD_1)];
    const countingEnv = { ...env, DB: control.db, SHARD_0: shards[0]!.db, SHARD_1: shards[1]!.db } as Env;

    const { result, ids } = await consume(tasks, { env: countingEnv });

    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(shards.map((s) => s.counter.roundTrips)).toEqual([2, 2]);
    expect(control.counter.roundTrips).toBe(0);
    expect(await received(name)).toHaveLength(4);
    for (const { tenant, message } of held) {
      const id = message.deliveries[0]!.id;
      const onShard = (i: number) => shardDb(env, i).prepare("SELECT status FROM deliveries WHERE id = ?").bind(id).first("status");
      expect(await onShard(tenant.shard)).toBe("succeeded");
      expect(await onShard(1 - tenant.shard)).toBeNull();
    }
  });

  it("a shard that cannot record its results gets its messages back; the other shard's are acked and recorded", async () => {
    const { name, held, tasks } = await mixedBatch();
    const failing = flakyD1(env.SHARD_1, { pattern: /UPDATE deliveries SET status = r\.status/, message: "D1_ERROR: disk I/O error", times: Infinity });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);

    const { result, ids } = await consume(tasks, { env: { ...env, SHARD_1: failing.db } as Env });

    const shardOfMessage = held.flatMap((h) => h.tasks.map(() => h.tenant.shard));
    expect(result.explicitAcks.sort()).toEqual(ids.filter((_, i) => shardOfMessage[i] === 0).sort());
    expect(result.retryMessages.map((r) => r.msgId).sort()).toEqual(ids.filter((_, i) => shardOfMessage[i] === 1).sort());
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("data shard 1: recording"));
    expect(await received(name)).toHaveLength(4);
    for (const { tenant, message } of held) {
      const expected = tenant.shard === 0 ? { status: "succeeded", attempts: 1 } : { status: "pending", attempts: 0 };
      expect(await deliveryRow(message.deliveries[0]!.id)).toMatchObject(expected);
    }
  });

  it("a queue message naming a shard the Worker does not have is acked and logged, and the rest of the batch is delivered", async () => {
    const { held, tasks } = await mixedBatch();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);

    const { result, ids } = await consume([{ ...(tasks[0] as object), token: "t", shard: 7 }, ...tasks]);

    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("names data shard 7, which this Worker does not have"));
    for (const { message } of held) expect(await deliveryRow(message.deliveries[0]!.id)).toMatchObject({ status: "succeeded" });
  });
});

describe("dead letters", () => {
  it("are marked failed on the shard their message names; one naming an unknown shard is acked and logged", async () => {
    const [, tenant] = await tenantOnEachShard();
    await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const { message, tasks } = await enqueueHeld(tenant.id, { event: "x", payload: 1 });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const batch = createMessageBatch("edgehook-deliveries-dlq", [
      { id: "dead-1", timestamp: new Date(), attempts: 100, body: tasks[0] },
      { id: "dead-2", timestamp: new Date(), attempts: 100, body: { ...tasks[0], shard: 9 } },
    ]);

    await consumeDeadLetters(batch, env);

    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks.sort()).toEqual(["dead-1", "dead-2"]);
    expect(await deliveryRow(message.deliveries[0]!.id)).toMatchObject({ status: "failed" });
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("names data shard 9"));
  });
});

describe("the sweeper on every shard", () => {
  it("re-arms a lost delivery on each shard, queued with its shard", async () => {
    const tenants = await tenantOnEachShard();
    const lost = await Promise.all(
      tenants.map(async (tenant) => {
        await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${bucket()}` });
        return { tenant, ...(await enqueueHeld(tenant.id, { event: "x", payload: 1 }, { failQueue: true })) };
      }),
    );

    const requeued = await sweepHeld(Date.now() + 6 * MINUTE);

    for (const { tenant, message } of lost) {
      expect(requeued).toContainEqual(expect.objectContaining({ delivery_id: message.deliveries[0]!.id, tenant_id: tenant.id, shard: tenant.shard }));
    }
    await consume(requeued.filter((t) => lost.some((l) => l.message.deliveries[0]!.id === t.delivery_id)));
    for (const { message } of lost) expect(await deliveryRow(message.deliveries[0]!.id)).toMatchObject({ status: "succeeded" });
  });

  it("sweeps the other shards when one fails, and names the one that failed", async () => {
    const [, tenant] = await tenantOnEachShard();
    await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const { message } = await enqueueHeld(tenant.id, { event: "x", payload: 1 }, { failQueue: true });
    const broken = flakyD1(env.SHARD_0, { pattern: /UPDATE deliveries SET packed_queue_token/, message: "D1_ERROR: disk I/O error", times: Infinity });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { queue, sent } = holdingQueue();

    const report = await sweep({ ...env, SHARD_0: broken.db, DELIVERIES: queue } as Env, Date.now() + 6 * MINUTE);

    expect(report.failedShards).toEqual([0]);
    expect(sent).toContainEqual(expect.objectContaining({ delivery_id: message.deliveries[0]!.id, shard: 1 }));
    expect(report.requeued).toBe(sent.length);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("sweep of data shard 0 failed"));
  });
});
