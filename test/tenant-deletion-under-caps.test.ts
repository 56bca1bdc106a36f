import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { leaseSecretPurges } from "../src/db/secret-purges";
import { purgeQueuedSecrets, SECRET_PURGES_PER_INVOCATION } from "../src/ops/secret-purges";
import { createEndpoint, deleteEndpoint } from "../src/ops/endpoints";
import { deleteTenant } from "../src/ops/tenants";
import { sweep } from "../src/delivery/sweeper";
import { CreateEndpointBody } from "../src/schemas/endpoints";
import { apiJson, newTenant } from "./support/api";
import { kvKeys } from "./support/kv-keys";
import { seedEndpoints } from "./support/seed";
import { cronWith, fetchWith } from "./support/worker";

// Cloudflare caps one Worker invocation at 1,000 KV operations and 1,000 D1 queries
// (developers.cloudflare.com/kv/platform/limits/, developers.cloudflare.com/d1/platform/limits/);
// the local runtime does not. Deleting a tenant deletes every endpoint's secret, three KV operations
// each: these run the Worker with both caps injected.

const CAPS = { ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "kv_operations_per_invocation=1000 d1_queries_per_invocation=1000" };

/** A tenant with `count` endpoints, each with a rotated (versioned) secret in KV: two keys each. */
async function tenantWithEndpoints(count: number): Promise<{ tenantId: string; endpointIds: string[] }> {
  const { id: tenantId } = await newTenant();
  const endpointIds = await seedEndpoints(tenantId, count, CreateEndpointBody.parse({ url: "https://example.com/hook" }), { secretVersion: 1 });
  return { tenantId, endpointIds };
}

/** The KV keys still holding a secret of one of `endpointIds`. */
async function secretsLeft(endpointIds: string[]): Promise<string[]> {
  const owned = new Set(endpointIds);
  return (await kvKeys(env.SECRETS, "secret:endpoint:")).filter((key) => owned.has(key.split(":")[2]!));
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

/** The test env whose KV reads fail as an unavailable store's do, while its writes and deletes go through. */
function kvReadsFailing(): Env {
  const get = async () => {
    throw new Error("KV GET failed: 503 Service Unavailable");
  };
  const kv = env.SECRETS;
  const SECRETS = { get, getWithMetadata: get, put: kv.put.bind(kv), delete: kv.delete.bind(kv), list: kv.list.bind(kv) };
  return { ...env, SECRETS: SECRETS as unknown as KVNamespace } as Env;
}

/** The test env whose KV reads of keys starting with `prefix` wait until released; `reached` resolves at the first. */
function kvReadsHeldFor(prefix: string) {
  let release!: () => void;
  let reach!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const kv = env.SECRETS;
  const get = async (key: string, options?: unknown) => {
    if (key.startsWith(prefix)) {
      reach();
      await released;
    }
    return kv.get(key, options as KVNamespaceGetOptions<"text">);
  };
  const SECRETS = { get, put: kv.put.bind(kv), delete: kv.delete.bind(kv), list: kv.list.bind(kv) };
  return { env: { ...env, SECRETS: SECRETS as unknown as KVNamespace } as Env, reached, release };
}

describe("deleting a tenant while KV fails part-way", () => {
  it("secrets whose version KV could not read stay queued, and the next sweep deletes their versioned keys too", async () => {
    const { tenantId, endpointIds } = await tenantWithEndpoints(3);
    await deleteTenant(kvReadsFailing(), tenantId);
    await cronWith({});
    expect(await secretsLeft(endpointIds)).toEqual([]);
  });
});

describe("deleting an endpoint while KV refuses deletes", () => {
  it("an endpoint whose secret KV refuses to delete is deleted, and the sweeper deletes its secret later", async () => {
    const { id: tenantId } = await newTenant();
    const endpoint = await createEndpoint(env, tenantId, { url: "https://example.com/hooks" });
    const kv = env.SECRETS;
    const refusing = {
      get: kv.get.bind(kv),
      put: kv.put.bind(kv),
      list: kv.list.bind(kv),
      delete: async () => {
        throw new Error("KV DELETE failed: 429 Too Many Requests");
      },
    };
    await deleteEndpoint({ ...env, SECRETS: refusing as unknown as KVNamespace } as Env, tenantId, endpoint.id);
    expect((await apiJson("GET", `/v1/tenants/${tenantId}/endpoints/${endpoint.id}`)).status).toBe(404);
    await cronWith({});
    expect(await kvKeys(env.SECRETS, `secret:endpoint:${endpoint.id}`)).toEqual([]);
  });
});

describe("a tenant id used again after a deletion", () => {
  const KV_REFUSES = { ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: "kv_error_rate=1" };

  /** Creates tenant `id` through the API and returns its secret as the API shows it. */
  async function createdWithSecret(id: string): Promise<string> {
    expect((await apiJson("POST", "/v1/tenants", { body: { id, name: id } })).status).toBe(201);
    const { status, body } = await apiJson("GET", `/v1/tenants/${id}/secret`);
    expect(status).toBe(200);
    return body.secret as string;
  }

  it("a tenant created again with a deleted tenant's id keeps its secret when the sweeper purges the deleted one's", async () => {
    const id = `reused-${crypto.randomUUID()}`;
    await createdWithSecret(id);
    // KV refuses the deletion's own purge, so the old tenant's secret stays queued for the sweeper.
    expect((await fetchWith(KV_REFUSES, "DELETE", `/v1/tenants/${id}`)).status).toBe(204);
    const secret = await createdWithSecret(id);
    await cronWith({});
    const { status, body } = await apiJson("GET", `/v1/tenants/${id}/secret`);
    expect(status).toBe(200);
    expect(body.secret).toBe(secret);
  });

  it("creating a tenant with a deleted tenant's id deletes that tenant's queued secret, leaving only the new one in KV", async () => {
    const id = `reused-${crypto.randomUUID()}`;
    await createdWithSecret(id);
    expect((await fetchWith(KV_REFUSES, "DELETE", `/v1/tenants/${id}`)).status).toBe(204);
    await createdWithSecret(id);
    const keys = await kvKeys(env.SECRETS, `secret:tenant:${id}`);
    expect(keys).toHaveLength(2);
    expect(keys).toContain(`secret:tenant:${id}`);
  });

  it("a tenant is not created with a deleted tenant's id while KV refuses to delete that tenant's queued secret", async () => {
    const id = `reused-${crypto.randomUUID()}`;
    await createdWithSecret(id);
    expect((await fetchWith(KV_REFUSES, "DELETE", `/v1/tenants/${id}`)).status).toBe(204);
    const res = await fetchWith(KV_REFUSES, "POST", "/v1/tenants", { id, name: id });
    expect(res.status).toBe(503);
    expect((await apiJson("GET", `/v1/tenants/${id}`)).status).toBe(404);
    await cronWith({});
    expect(await kvKeys(env.SECRETS, `secret:tenant:${id}`)).toEqual([]);
  });

  it("a tenant is not created with a deleted tenant's id while a purge of that tenant's secret is under way", async () => {
    const id = `reused-${crypto.randomUUID()}`;
    await createdWithSecret(id);
    expect((await fetchWith(KV_REFUSES, "DELETE", `/v1/tenants/${id}`)).status).toBe(204);
    const gate = kvReadsHeldFor(`secret:tenant:${id}`);
    const sweeping = sweep(gate.env);
    await gate.reached;
    const res = await apiJson("POST", "/v1/tenants", { body: { id, name: id } });
    gate.release();
    await sweeping;
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).not.toBeNull();
    expect((await apiJson("GET", `/v1/tenants/${id}`)).status).toBe(404);
  });

  it("a purge that stopped part-way holds the secrets it leased only until its lease runs out", async () => {
    const id = `reused-${crypto.randomUUID()}`;
    await createdWithSecret(id);
    expect((await fetchWith(KV_REFUSES, "DELETE", `/v1/tenants/${id}`)).status).toBe(204);
    const now = Date.now();
    const owner = { kind: "tenant" as const, id };
    expect(await leaseSecretPurges(env.DB, now, now + 60_000, 1, [owner])).toEqual([owner]);
    await purgeQueuedSecrets(env, now + 59_000);
    expect(await kvKeys(env.SECRETS, `secret:tenant:${id}`)).toHaveLength(2);
    await purgeQueuedSecrets(env, now + 60_000);
    expect(await kvKeys(env.SECRETS, `secret:tenant:${id}`)).toEqual([]);
  });
});

