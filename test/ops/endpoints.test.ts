import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/errors";
import {
  createEndpoint,
  deleteEndpoint,
  endpointSecret,
  getEndpoint,
  rotateEndpointSecret,
  sendTestEvent,
  updateEndpoint,
} from "../../src/ops/endpoints";
import { createTenant } from "../../src/ops/tenants";
import { readSecretSet } from "../../src/secrets";
import { holdingQueue } from "../support/worker";
import { rowsOnShards } from "../support/shards";
import { kvKeys } from "../support/kv-keys";

/** The tenant created for a test, with a fresh id. */
const tenant = () => createTenant(env, { name: "Ops test tenant" });

/** An env whose target guard refuses loopback and private addresses, as production does. */
const guardedEnv = { ...env, ALLOW_PRIVATE_TARGETS: "false" } as Env;

/** The ApiError an operation rejected with (fails the test if it resolved or threw something else). */
async function apiErrorOf(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

const endpointRows = (tenantId: string) => rowsOnShards("endpoints", tenantId);
const endpointSecretKeys = () => kvKeys(env.SECRETS, "secret:endpoint:");

describe("endpoint operations", () => {
  it("createEndpoint stores the endpoint and its secret, and returns the secret once", async () => {
    const { id: tenantId } = await tenant();
    const created = await createEndpoint(env, tenantId, { url: "https://example.com/hooks" });
    expect(created.secret).toMatch(/^whsec_/);
    expect(await getEndpoint(env, tenantId, created.id)).not.toHaveProperty("secret");
    expect((await readSecretSet(env, { kind: "endpoint", id: created.id }))?.current).toBe(created.secret);
  });

  it("createEndpoint refuses a target the guard blocks and stores neither row nor secret", async () => {
    const { id: tenantId } = await tenant();
    const secretsBefore = await endpointSecretKeys();
    const error = await apiErrorOf(createEndpoint(guardedEnv, tenantId, { url: "http://127.0.0.1:9/hooks" }));
    expect(error.status).toBe(400);
    expect(error.issues).toEqual([{ path: "url", message: expect.any(String) }]);
    expect(await endpointRows(tenantId)).toBe(0);
    expect(await endpointSecretKeys()).toEqual(secretsBefore);
  });

  it("createEndpoint removes the secret it wrote when the endpoint row cannot be stored", async () => {
    const secretsBefore = await endpointSecretKeys();
    // No such tenant: the row's foreign key fails after the secret was written.
    await expect(createEndpoint(env, "no-such-tenant", { url: "https://example.com/hooks" })).rejects.toThrow();
    expect(await endpointSecretKeys()).toEqual(secretsBefore);
  });

  it("updateEndpoint refuses a custom header that is the signature header the endpoint will have", async () => {
    const { id: tenantId } = await tenant();
    const { id } = await createEndpoint(env, tenantId, { url: "https://example.com/hooks", headers: { "X-Signature": "static" } });
    const error = await apiErrorOf(updateEndpoint(env, tenantId, id, { signature: { scheme: "hmac-sha256", header: "X-Signature" } }));
    expect(error.status).toBe(400);
    expect(error.issues?.[0]?.path).toBe("headers.X-Signature");
    expect((await getEndpoint(env, tenantId, id)).signature).toEqual({ scheme: "standard" });
  });

  it("deleteEndpoint removes the endpoint and its secret; deleting it again is a 404", async () => {
    const { id: tenantId } = await tenant();
    const { id } = await createEndpoint(env, tenantId, { url: "https://example.com/hooks" });
    await deleteEndpoint(env, tenantId, id);
    expect(await readSecretSet(env, { kind: "endpoint", id })).toBeNull();
    expect((await apiErrorOf(getEndpoint(env, tenantId, id))).status).toBe(404);
    expect((await apiErrorOf(deleteEndpoint(env, tenantId, id))).status).toBe(404);
  });

  it("another tenant's endpoint is a 404 for every operation, and its secret stays as it was", async () => {
    const owner = await tenant();
    const other = await tenant();
    const { id, secret } = await createEndpoint(env, owner.id, { url: "https://example.com/hooks" });
    for (const attempt of [
      getEndpoint(env, other.id, id),
      updateEndpoint(env, other.id, id, { name: "taken" }),
      endpointSecret(env, other.id, id),
      rotateEndpointSecret(env, other.id, id, 0),
      sendTestEvent(env, other.id, id),
      deleteEndpoint(env, other.id, id),
    ]) {
      expect((await apiErrorOf(attempt)).status).toBe(404);
    }
    expect((await endpointSecret(env, owner.id, id)).current).toBe(secret);
  });

  it("rotateEndpointSecret makes a new current secret and keeps the old one for the grace period", async () => {
    const { id: tenantId } = await tenant();
    const { id, secret } = await createEndpoint(env, tenantId, { url: "https://example.com/hooks" });
    const set = await rotateEndpointSecret(env, tenantId, id, 60);
    expect(set.current).not.toBe(secret);
    expect(set.previous.map((p) => p.secret)).toEqual([secret]);
    expect((await endpointSecret(env, tenantId, id)).current).toBe(set.current);
  });

  it("sendTestEvent stores a webhook.test message for that endpoint only and queues its delivery", async () => {
    const { id: tenantId } = await tenant();
    const { id } = await createEndpoint(env, tenantId, { url: "https://example.com/hooks" });
    await createEndpoint(env, tenantId, { url: "https://example.com/other" });
    const { queue, sent } = holdingQueue();
    const response = await sendTestEvent({ ...env, DELIVERIES: queue }, tenantId, id);
    expect(response.event).toBe("webhook.test");
    expect(response.deliveries).toEqual([{ id: expect.any(String), endpoint_id: id, status: "pending" }]);
    expect(sent.map((t) => t.delivery_id)).toEqual([response.deliveries[0]!.id]);
  });
});
