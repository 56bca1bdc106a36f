import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PLATFORM_FAULT_DELAY_SECONDS } from "../src/delivery/decide";
import { faultyKv } from "../src/faults/bindings";
import { FaultInjector } from "../src/faults/injector";
import { NO_FAULTS } from "../src/faults/spec";
import { forgetCachedSecrets } from "../src/secrets";
import { bucket, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { callWorker } from "./security/support";
import { consume, deliveryRow, enqueueHeld } from "./support/worker";

/**
 * Another location's view: KV reads lag this isolate's writes by 30 s (src/faults/kv-lag.ts), and
 * nothing decrypted here is reused there (forgetCachedSecrets before each consumer run).
 */
function laggingLocation() {
  const clock = { now: Date.now() };
  const faults = new FaultInjector({ ...NO_FAULTS, kvStaleSeconds: 30 }, () => 0.99, () => clock.now);
  return { clock, env: { ...env, SECRETS: faultyKv(env.SECRETS, faults) } as Env };
}

afterEach(() => vi.restoreAllMocks());

/**
 * Consumes `tasks` in `location` while its KV still lags the API's writes: the delivery waits,
 * uncounted, and nothing is sent; then 31 s later, past the lag. Returns the one request the
 * receiver `name` got.
 */
async function deliveredPastLag(location: ReturnType<typeof laggingLocation>, tasks: unknown[], deliveryId: string, name: string) {
  forgetCachedSecrets();
  const first = await consume(tasks, { env: location.env });
  expect(first.result.retryMessages.map((r) => r.delaySeconds)).toEqual([PLATFORM_FAULT_DELAY_SECONDS]);
  expect(await deliveryRow(deliveryId)).toMatchObject({ attempts: 0, status: "pending" });
  expect(await received(name)).toEqual([]);

  location.clock.now += 31_000;
  forgetCachedSecrets();
  await consume(first.retried, { env: location.env });
  const requests = await received(name);
  expect(requests).toHaveLength(1);
  expect(await deliveryRow(deliveryId)).toMatchObject({ attempts: 1, status: "succeeded" });
  return requests[0]!;
}

describe("kind: a secret created or rotated signs every delivery sent after the API answered, in every location", () => {
  it("after a rotation with no grace, a location whose KV still shows the old set waits uncounted, then signs with the new secret only", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}`, retry: { max_attempts: 1 } });
    const location = laggingLocation();
    const rotated = await callWorker(location.env, "POST", `/v1/tenants/${id}/endpoints/${endpoint.id}/secret/rotate`, { body: { grace_period_seconds: 0 } });
    const { tasks, message } = await enqueueHeld(id, { event: "x", payload: { n: 1 } });

    const request = await deliveredPastLag(location, tasks, message.deliveries[0]!.id, name);
    expect(new Webhook(rotated.body.secret).verify(request.body, request.headers)).toEqual({ n: 1 });
    expect(() => new Webhook(endpoint.secret).verify(request.body, request.headers)).toThrow();
  });

  it("a new endpoint's first delivery, in a location that cannot see its secret yet, waits uncounted instead of failing its only attempt", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const location = laggingLocation();
    const created = await callWorker(location.env, "POST", `/v1/tenants/${id}/endpoints`, { body: { url: `${receiverUrl()}/ok/${name}`, retry: { max_attempts: 1 } } });
    const { tasks, message } = await enqueueHeld(id, { event: "x", payload: { n: 2 } });

    const request = await deliveredPastLag(location, tasks, message.deliveries[0]!.id, name);
    expect(new Webhook(created.body.secret).verify(request.body, request.headers)).toEqual({ n: 2 });
  });
});

describe("kind: a tenant's own secret, which signs its one-off webhook_url deliveries, is versioned like an endpoint's", () => {
  /** Creates a tenant through `location`'s env (so its KV writes lag there); returns its id and secret. */
  async function tenantAt(location: ReturnType<typeof laggingLocation>, id = crypto.randomUUID()) {
    const created = await callWorker(location.env, "POST", "/v1/tenants", { body: { id, name: "Lagging" } });
    expect(created.status).toBe(201);
    const secret = await callWorker(env, "GET", `/v1/tenants/${id}/secret`);
    return { id, secret: secret.body.secret as string };
  }

  /** Enqueues a message with a one-off delivery to a fresh receiver bucket; returns the queue messages, the delivery id and the bucket. */
  async function oneOff(tenantId: string, n: number) {
    const name = bucket();
    const { tasks, message } = await enqueueHeld(tenantId, { event: "x", payload: { n }, webhook_url: `${receiverUrl()}/ok/${name}` });
    return { tasks, deliveryId: message.deliveries[0]!.id, name };
  }

  it("after a rotation with no grace, a location whose KV still shows the old set waits uncounted, then signs with the new secret only", async () => {
    const location = laggingLocation();
    const tenant = await tenantAt(location);
    location.clock.now += 31_000;
    const rotated = await callWorker(location.env, "POST", `/v1/tenants/${tenant.id}/secret/rotate`, { body: { grace_period_seconds: 0 } });
    expect(rotated.status).toBe(200);
    const { tasks, deliveryId, name } = await oneOff(tenant.id, 3);

    const request = await deliveredPastLag(location, tasks, deliveryId, name);
    expect(new Webhook(rotated.body.secret).verify(request.body, request.headers)).toEqual({ n: 3 });
    expect(() => new Webhook(tenant.secret).verify(request.body, request.headers)).toThrow();
  });

  it("a new tenant's first webhook_url delivery, in a location that cannot see its secret yet, waits uncounted, then signs with it", async () => {
    const location = laggingLocation();
    const tenant = await tenantAt(location);
    const { tasks, deliveryId, name } = await oneOff(tenant.id, 4);

    const request = await deliveredPastLag(location, tasks, deliveryId, name);
    expect(new Webhook(tenant.secret).verify(request.body, request.headers)).toEqual({ n: 4 });
  });

  it("a tenant deleted and created again under its id never signs with the deleted tenant's secret that a lagging location still shows", async () => {
    const location = laggingLocation();
    const deleted = await tenantAt(location);
    location.clock.now += 31_000;
    expect((await callWorker(location.env, "DELETE", `/v1/tenants/${deleted.id}`)).status).toBe(204);
    const again = await tenantAt(location, deleted.id);
    const { tasks, deliveryId, name } = await oneOff(again.id, 5);

    const request = await deliveredPastLag(location, tasks, deliveryId, name);
    expect(new Webhook(again.secret).verify(request.body, request.headers)).toEqual({ n: 5 });
    expect(() => new Webhook(deleted.secret).verify(request.body, request.headers)).toThrow();
  });
});

describe("kind: the secret API in a location whose KV cannot show a secret yet answers 503 with Retry-After, never a 500, a 404 or an old secret", () => {
  it("rotating a new endpoint's secret there answers 503 with Retry-After", async () => {
    const { id } = await newTenant();
    const location = laggingLocation();
    const created = await callWorker(location.env, "POST", `/v1/tenants/${id}/endpoints`, { body: { url: `${receiverUrl()}/ok/${bucket()}` } });
    forgetCachedSecrets();
    const rotated = await callWorker(location.env, "POST", `/v1/tenants/${id}/endpoints/${created.body.id}/secret/rotate`, { body: {} });
    expect(rotated.status).toBe(503);
    expect(rotated.headers.get("retry-after")).not.toBeNull();
  });

  it("reading a new endpoint's secret there answers 503 with Retry-After", async () => {
    const { id } = await newTenant();
    const location = laggingLocation();
    const created = await callWorker(location.env, "POST", `/v1/tenants/${id}/endpoints`, { body: { url: `${receiverUrl()}/ok/${bucket()}` } });
    forgetCachedSecrets();
    const read = await callWorker(location.env, "GET", `/v1/tenants/${id}/endpoints/${created.body.id}/secret`);
    expect(read.status).toBe(503);
    expect(read.headers.get("retry-after")).not.toBeNull();
  });

  it("reading an endpoint's secret there after a rotation never answers the secret it replaced", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const location = laggingLocation();
    await callWorker(location.env, "POST", `/v1/tenants/${id}/endpoints/${endpoint.id}/secret/rotate`, { body: { grace_period_seconds: 0 } });
    forgetCachedSecrets();
    const read = await callWorker(location.env, "GET", `/v1/tenants/${id}/endpoints/${endpoint.id}/secret`);
    expect(read.status === 503 || read.body.secret !== endpoint.secret, JSON.stringify(read.body)).toBe(true);
  });
});
