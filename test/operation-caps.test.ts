import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { KV_R2_READS_PER_BATCH } from "../src/delivery/batch-reads";
import { DELIVERIES_PER_MESSAGE } from "../src/delivery/task";
import { toBase64 } from "../src/lib/base64";
import { compressText } from "../src/lib/compression";
import { R2_PAYLOAD_THRESHOLD_BYTES } from "../src/limits";
import { CreateEndpointBody } from "../src/schemas/endpoints";
import { forgetCachedSecrets } from "../src/secrets";
import { bucket, newTenant, receiverUrl } from "./support/api";
import { countingInvocation, subrequestsOf } from "./support/invocation-counts";
import { seedEndpoints, seedR2Messages } from "./support/seed";
import { shardOf } from "./support/shards";
import { consume, holdingQueue } from "./support/worker";

/**
 * Cloudflare's caps per Worker invocation (Workers Paid), which a consumer invocation must hold at
 * the largest batch it can be given: 100 queue messages (Queues limits) × DELIVERIES_PER_MESSAGE.
 * - KV + R2: "up to 1,000 operations to external services (for example, 500 Workers KV reads and
 *   500 R2 reads)" — developers.cloudflare.com/kv/platform/limits/
 * - D1: 1,000 queries per Worker invocation — developers.cloudflare.com/d1/platform/limits/
 * - Subrequests: 10,000 per request — developers.cloudflare.com/workers/platform/limits/
 */
const KV_R2_OPERATIONS_CAP = 1_000;
const D1_QUERIES_CAP = 1_000;
const SUBREQUESTS_CAP = 10_000;
const BATCH_MESSAGES = 100;
const FULL_BATCH = BATCH_MESSAGES * DELIVERIES_PER_MESSAGE;
/** Seeding a full batch (up to 1,000 endpoints with their KV secrets and 1,000 R2 objects) takes a while in workerd under load. */
const SETUP_TIMEOUT_MS = 120_000;

/**
 * A stored payload over R2_PAYLOAD_THRESHOLD_BYTES once compressed (random text does not
 * compress), so each message keeps it in R2. One compression serves every message of a test: each
 * still has its own R2 object, which the consumer reads on its own.
 */
function r2Payload(): Uint8Array {
  const bytes = compressText(JSON.stringify({ blob: toBase64(crypto.getRandomValues(new Uint8Array(R2_PAYLOAD_THRESHOLD_BYTES + 1_024))) }));
  expect(bytes.byteLength).toBeGreaterThan(R2_PAYLOAD_THRESHOLD_BYTES);
  return bytes;
}

/** Seeds `count` endpoints of the tenant that answer 200 into one receiver bucket; returns their ids. */
function endpoints(tenantId: string, count: number): Promise<string[]> {
  return seedEndpoints(tenantId, count, CreateEndpointBody.parse({ url: `${receiverUrl()}/ok/${bucket()}` }));
}

/**
 * Runs one consumer invocation on `tasks` with every binding counted, as a fresh isolate would (no
 * secret decrypted yet); returns the counts and the deliveries' rows afterwards.
 */
async function countedInvocation(tenantId: string, tasks: unknown[]) {
  forgetCachedSecrets();
  const invocation = countingInvocation({ ...env, DELIVERIES: holdingQueue().queue, SLOW_DELIVERIES: holdingQueue().queue } as Env);
  try {
    await consume(tasks, { env: invocation.env });
  } finally {
    invocation.stop();
  }
  const { results } = await (await shardOf(tenantId))
    .prepare("SELECT status, attempts FROM deliveries WHERE tenant_id = ?")
    .bind(tenantId)
    .all<{ status: string; attempts: number }>();
  return { counts: invocation.read(), rows: results };
}

describe(`kind: a consumer invocation at the largest batch (${BATCH_MESSAGES} queue messages × ${DELIVERIES_PER_MESSAGE} deliveries) holds every per-invocation cap`, () => {
  it(`the worst case for reads, ${FULL_BATCH} deliveries each with its own endpoint and its own R2 payload, stays under ${KV_R2_OPERATIONS_CAP} KV + R2 operations, ${D1_QUERIES_CAP} D1 queries and ${SUBREQUESTS_CAP} subrequests; deliveries past the read budget wait uncounted`, async () => {
    const { id } = await newTenant();
    const ids = await endpoints(id, FULL_BATCH);
    const tasks = await seedR2Messages(id, r2Payload(), ids.map((endpointId) => [endpointId]));
    expect(tasks).toHaveLength(BATCH_MESSAGES);

    const { counts, rows } = await countedInvocation(id, tasks);
    expect(counts.kv + counts.r2).toBeLessThanOrEqual(KV_R2_READS_PER_BATCH);
    expect(counts.kv + counts.r2).toBeLessThan(KV_R2_OPERATIONS_CAP);
    expect(counts.d1).toBeLessThan(D1_QUERIES_CAP);
    expect(subrequestsOf(counts)).toBeLessThan(SUBREQUESTS_CAP);
    const sent = rows.filter((r) => r.status === "succeeded");
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.length).toBeLessThanOrEqual(KV_R2_READS_PER_BATCH / 2);
    expect(rows.filter((r) => r.status !== "succeeded").every((r) => r.status === "pending" && r.attempts === 0)).toBe(true);
    console.log(`worst-case reads, one invocation of ${FULL_BATCH} deliveries:`, JSON.stringify({ ...counts, subrequests: subrequestsOf(counts), sent: sent.length }));
  }, SETUP_TIMEOUT_MS);

  it(`the largest fan-out, ${BATCH_MESSAGES} R2 payloads each to ${DELIVERIES_PER_MESSAGE} endpoints, sends all ${FULL_BATCH} deliveries in one invocation under every cap, reading each payload and secret once`, async () => {
    const { id } = await newTenant();
    const ids = await endpoints(id, DELIVERIES_PER_MESSAGE);
    const tasks = await seedR2Messages(id, r2Payload(), Array.from({ length: BATCH_MESSAGES }, () => ids));
    expect(tasks).toHaveLength(BATCH_MESSAGES);

    const { counts, rows } = await countedInvocation(id, tasks);
    expect([counts.kv, counts.r2]).toEqual([DELIVERIES_PER_MESSAGE, BATCH_MESSAGES]);
    expect(counts.d1).toBeLessThan(D1_QUERIES_CAP);
    expect(subrequestsOf(counts)).toBeLessThan(SUBREQUESTS_CAP);
    expect(rows.filter((r) => r.status === "succeeded" && r.attempts === 1)).toHaveLength(FULL_BATCH);
    console.log(`largest fan-out, one invocation of ${FULL_BATCH} deliveries:`, JSON.stringify({ ...counts, subrequests: subrequestsOf(counts) }));
  }, SETUP_TIMEOUT_MS);
});
