import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { SECRET_PURGES_PER_INVOCATION } from "../src/ops/secret-purges";
import { createSecret } from "../src/secrets";
import { buildRequest, newTenant } from "./support/api";
import { kvKeys } from "./support/kv-keys";
import { shardOf } from "./support/shards";

// Cloudflare caps one Worker invocation at 1,000 KV operations and 1,000 D1 queries
// (developers.cloudflare.com/kv/platform/limits/, developers.cloudflare.com/d1/platform/limits/);
// the local runtime does not. Deleting a tenant deletes every endpoint's secret, three KV operations
// each: these run the Worker with both caps injected.

const CAPS = { ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "kv_operations_per_invocation=1000 d1_queries_per_invocation=1000" };

/** A tenant with `count` endpoints, each with a rotated (versioned) secret in KV: two keys each. */
async function tenantWithEndpoints(count: number): Promise<{ tenantId: string; endpointIds: string[] }> {
  const { id: tenantId } = await newTenant();
  const db = await shardOf(tenantId);
  const endpointIds = Array.from({ length: count }, () => crypto.randomUUID());
  await db.batch(
    endpointIds.map((id) =>
      db
        .prepare("INSERT INTO endpoints (id, tenant_id, url, signature, retry, timeout_ms, created_at, updated_at, secret_version) VALUES (?, ?, 'https://example.com/hook', '{}', '{}', 1000, 0, 0, 1)")
        .bind(id, tenantId),
    ),
  );
  for (let i = 0; i < endpointIds.length; i += 50) {
    await Promise.all(endpointIds.slice(i, i + 50).map((id) => createSecret(env, { kind: "endpoint", id }, undefined, "hmac", 1)));
  }
  return { tenantId, endpointIds };
}

/** The KV keys still holding a secret of one of `endpointIds`. */
async function secretsLeft(endpointIds: string[]): Promise<string[]> {
  const owned = new Set(endpointIds);
  return (await kvKeys(env.SECRETS, "secret:endpoint:")).filter((key) => owned.has(key.split(":")[2]!));
}

/** Calls the Worker's fetch handler with `vars` added to the test env. */
function fetchWith(vars: Record<string, string>, method: string, path: string) {
  return worker.fetch(buildRequest(method, path) as Request<unknown, IncomingRequestCfProperties>, { ...env, ...vars } as Env, createExecutionContext());
}

/** One run of the cron sweeper with `vars` added to the test env. */
function cronWith(vars: Record<string, string>) {
  return worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), { ...env, ...vars } as Env);
}

describe("deleting a tenant under Cloudflare's per-invocation caps", () => {
  it("a tenant with more endpoints than one invocation's KV operations can delete the secrets of is deleted, and the sweeper deletes the secrets left", async () => {
    const { tenantId, endpointIds } = await tenantWithEndpoints(400);
    expect(await secretsLeft(endpointIds)).toHaveLength(800);
    const res = await fetchWith(CAPS, "DELETE", `/v1/tenants/${tenantId}`);
    expect(res.status).toBe(204);
    expect((await fetchWith({}, "GET", `/v1/tenants/${tenantId}`)).status).toBe(404);
    const left = await secretsLeft(endpointIds);
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(800);
    await cronWith(CAPS);
    expect(await secretsLeft(endpointIds)).toEqual([]);
  });

  it("the sweeper deletes queued secrets within its share of the cap, over as many runs as it takes", async () => {
    const count = 2 * SECRET_PURGES_PER_INVOCATION + 50;
    const { tenantId, endpointIds } = await tenantWithEndpoints(count);
    expect((await fetchWith(CAPS, "DELETE", `/v1/tenants/${tenantId}`)).status).toBe(204);
    const runs: number[] = [];
    for (let run = 0; run < 4 && (await secretsLeft(endpointIds)).length > 0; run++) {
      await cronWith(CAPS);
      runs.push((await secretsLeft(endpointIds)).length);
    }
    expect(runs.at(-1)).toBe(0);
    expect(runs.length).toBeGreaterThan(1);
  });

  it("secrets whose deletion KV refused stay queued, and the next sweep deletes them", async () => {
    const { tenantId, endpointIds } = await tenantWithEndpoints(5);
    const res = await fetchWith({ ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "kv_error_rate=1" }, "DELETE", `/v1/tenants/${tenantId}`);
    expect(res.status).toBe(204);
    expect(await secretsLeft(endpointIds)).toHaveLength(10);
    await cronWith({});
    expect(await secretsLeft(endpointIds)).toEqual([]);
  });
});
