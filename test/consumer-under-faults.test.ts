import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import { withPlatformFaults } from "../src/faults/env";
import { FaultInjector } from "../src/faults/injector";
import { NO_FAULTS } from "../src/faults/spec";
import { forgetCachedSecrets } from "../src/secrets";
import { bucket, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { callWorker } from "./security/support";
import { shardOf } from "./support/shards";
import { apiHeld, consume, holdingQueue, sweepHeld, SLOW_LANE } from "./support/worker";

/** A seeded uniform source (mulberry32), so a run's faults are the same every time. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The production-semantics fault mix (issue 23): KV 30 s behind, 3 % of D1, Queues, R2 and KV calls failing. */
function faultyWorld() {
  const clock = { now: Date.now() };
  const faults = new FaultInjector(
    { ...NO_FAULTS, kvStaleSeconds: 30, d1ErrorRate: 0.03, queueErrorRate: 0.03, r2ErrorRate: 0.03, kvErrorRate: 0.03 },
    seeded(23),
    () => clock.now,
  );
  const [main, slow] = [holdingQueue(), holdingQueue()];
  const faultEnv = withPlatformFaults({ ...env, DELIVERIES: main.queue, SLOW_DELIVERIES: slow.queue } as Env, faults);
  /** Takes the deliveries the consumer queued again (its splits and lane moves). */
  const requeued = () => [main.sent, slow.sent].flatMap((sent) => sent.splice(0));
  return { clock, faults, faultEnv, requeued };
}

/** Enqueues `count` messages numbered from `from` in batches of 50 with the queue held back; returns their queue messages. */
async function enqueue(tenantId: string, from: number, count: number): Promise<unknown[]> {
  const tasks: unknown[] = [];
  for (let i = from; i < from + count; i += 50) {
    const messages = Array.from({ length: Math.min(50, from + count - i) }, (_, k) => ({ event: "x", payload: { n: i + k } }));
    const { res, tasks: sent } = await apiHeld("POST", `/v1/tenants/${tenantId}/messages/batch`, { messages });
    expect(res.status).toBe(202);
    tasks.push(...sent);
  }
  return tasks;
}

/**
 * Runs the consumer, several batches at once, until nothing comes back: each round moves the
 * clocks 31 s on (past KV's lag and every platform-fault delay); when nothing is queued, the
 * sweeper re-arms what a refused re-queue left behind.
 */
async function deliverAll(world: ReturnType<typeof faultyWorld>, tasks: unknown[], open: () => Promise<number>) {
  let pending = tasks;
  let offset = 0;
  for (let round = 0; round < 40; round++) {
    if (pending.length === 0) {
      if ((await open()) === 0) return round;
      pending = await sweepHeld(Date.now() + offset + 30 * 60_000);
    }
    forgetCachedSecrets();
    const batches = Array.from({ length: Math.ceil(pending.length / 100) }, (_, i) => pending.slice(i * 100, i * 100 + 100));
    const now = Date.now() + offset;
    const runs = await Promise.all(batches.map((batch) => consume(batch, { env: world.faultEnv, queue: SLOW_LANE, now })));
    pending = [...runs.flatMap((run) => run.retried), ...world.requeued()];
    offset += 31_000;
    world.clock.now += 31_000;
  }
  throw new Error("deliveries still open after 40 rounds");
}

describe("kind: under production's faults the consumer loses nothing and a platform fault costs no attempt", () => {
  it("150 messages to three endpoints allowing 2 attempts, consumed several batches at once with KV 30 s behind and 3 % of calls failing: all delivered, none failed, one attempt each, the rotated secret signs", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { id } = await newTenant();
    const world = faultyWorld();
    const names = [bucket(), bucket(), bucket()];
    const endpoints = await Promise.all(names.map((name) => newEndpoint(id, { url: `${receiverUrl()}/ok/${name}`, retry: { max_attempts: 2 } })));
    const shard = await shardOf(id);
    const open = async () => (await shard.prepare("SELECT count(*) AS n FROM deliveries WHERE tenant_id = ? AND status <> 'succeeded'").bind(id).first<number>("n"))!;

    await deliverAll(world, await enqueue(id, 0, 75), open);
    let rotated: { status: number; body: { secret: string } };
    do {
      rotated = await callWorker(world.faultEnv, "POST", `/v1/tenants/${id}/endpoints/${endpoints[0]!.id}/secret/rotate`, { body: { grace_period_seconds: 0 } });
    } while (rotated.status !== 200);
    await deliverAll(world, await enqueue(id, 75, 75), open);

    const rows = await shard.prepare("SELECT status, attempts FROM deliveries WHERE tenant_id = ?").bind(id).all<{ status: string; attempts: number }>();
    expect(rows.results).toHaveLength(450);
    expect(rows.results.every((r) => r.status === "succeeded" && r.attempts === 1)).toBe(true);
    const byEndpoint = await Promise.all(names.map((name) => received(name)));
    for (const requests of byEndpoint) {
      expect(new Set(requests.map((r) => (JSON.parse(r.body) as { n: number }).n)).size).toBe(150);
    }
    const later = byEndpoint[0]!.filter((r) => (JSON.parse(r.body) as { n: number }).n >= 75);
    for (const request of later) expect(new Webhook(rotated.body.secret).verify(request.body, request.headers)).toBeTruthy();
    expect(Object.values(world.faults.injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
