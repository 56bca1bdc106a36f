import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiJson, bucket, newEndpoint, newTenant, received, receiverUrl } from "./support/api";
import { callWorker } from "./security/support";
import { consume, enqueueHeld } from "./support/worker";

/** Sends `count` rotations of one secret at once; returns the secrets answered with 200 and every status. */
async function rotateInParallel(path: string, count: number) {
  const replies = await Promise.all(
    Array.from({ length: count }, () => apiJson("POST", `${path}/rotate`, { body: { grace_period_seconds: 3600 } })),
  );
  return {
    statuses: replies.map((r) => r.status),
    secrets: replies.filter((r) => r.status === 200).map((r) => r.body.secret as string),
    conflicts: replies.filter((r) => r.status === 409).map((r) => r.body.error.code as string),
  };
}

/** The Standard Webhooks signatures on a request the receiver got, one per secret that signed it. */
function signaturesOf(request: { headers: Record<string, string> }): string[] {
  return request.headers["webhook-signature"]!.split(" ");
}

afterEach(() => vi.restoreAllMocks());

describe("kind: concurrent rotations of one secret never lose a secret they answered with 200", () => {
  it("five parallel rotations of an endpoint's secret: each secret returned with 200 signs the next delivery, the others are 409 conflict", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });

    const rotated = await rotateInParallel(`/v1/tenants/${id}/endpoints/${endpoint.id}/secret`, 5);
    const { tasks } = await enqueueHeld(id, { event: "x", payload: { after: "rotations" } });
    await consume(tasks);

    const [request] = await received(name);
    expect(rotated.statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(rotated.secrets.length).toBeGreaterThan(0);
    expect(rotated.conflicts.every((code) => code === "conflict")).toBe(true);
    for (const secret of [endpoint.secret, ...rotated.secrets]) {
      expect(new Webhook(secret).verify(request!.body, request!.headers)).toEqual({ after: "rotations" });
    }
    expect(signaturesOf(request!)).toHaveLength(1 + rotated.secrets.length);
  });

  it("two parallel rotations of a tenant's one-off secret: each secret returned with 200 signs the next webhook_url delivery", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const original = (await apiJson("GET", `/v1/tenants/${id}/secret`)).body.secret as string;

    const rotated = await rotateInParallel(`/v1/tenants/${id}/secret`, 2);
    const { tasks } = await enqueueHeld(id, { event: "x", payload: 1, webhook_url: `${receiverUrl()}/ok/${name}` });
    await consume(tasks);

    const [request] = await received(name);
    expect(rotated.statuses.every((s) => s === 200 || s === 409)).toBe(true);
    for (const secret of [original, ...rotated.secrets]) expect(new Webhook(secret).verify(request!.body, request!.headers)).toBe(1);
    expect(signaturesOf(request!)).toHaveLength(1 + rotated.secrets.length);
  });

  it("a rotation whose secret could not be stored leaves no claim behind: the next rotation succeeds at once", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://example.com/hook" });
    const path = `/v1/tenants/${id}/endpoints/${endpoint.id}/secret/rotate`;
    const failingKv = { ...env.SECRETS, get: env.SECRETS.get.bind(env.SECRETS), put: async () => Promise.reject(new Error("KV unavailable")) };
    vi.spyOn(console, "error").mockImplementation(() => undefined);

    const failed = await callWorker({ ...env, SECRETS: failingKv } as Env, "POST", path, { body: {} });
    const next = await apiJson("POST", path, { body: {} });

    expect(failed.status).toBe(500);
    expect(next.status).toBe(200);
    expect((await apiJson("GET", `/v1/tenants/${id}/endpoints/${endpoint.id}/secret`)).body.secret).toBe(next.body.secret);
  });
});

describe("kind: every secret a rotation answered with 200 keeps signing for its whole grace period", () => {
  it("fifteen parallel rotations of an endpoint's secret: each one answered with 200 still signs, none was pushed out by the limit of old secrets", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });

    const rotated = await rotateInParallel(`/v1/tenants/${id}/endpoints/${endpoint.id}/secret`, 15);
    const { tasks } = await enqueueHeld(id, { event: "x", payload: 1 });
    await consume(tasks);

    const [request] = await received(name);
    expect(rotated.statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(rotated.conflicts.every((code) => code === "conflict")).toBe(true);
    for (const secret of rotated.secrets) expect(new Webhook(secret).verify(request!.body, request!.headers)).toBe(1);
  });

  it("an eleventh rotation within the grace of ten earlier secrets is 409 conflict and changes nothing; with grace_period_seconds 0 it succeeds", async () => {
    const { id } = await newTenant();
    const path = `/v1/tenants/${id}/secret`;
    for (let i = 0; i < 10; i++) expect((await apiJson("POST", `${path}/rotate`, { body: { grace_period_seconds: 3600 } })).status).toBe(200);
    const before = (await apiJson("GET", path)).body;

    const refused = await apiJson("POST", `${path}/rotate`, { body: { grace_period_seconds: 3600 } });
    const after = (await apiJson("GET", path)).body;
    const withoutGrace = await apiJson("POST", `${path}/rotate`, { body: { grace_period_seconds: 0 } });

    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("conflict");
    expect(after).toEqual(before);
    expect(withoutGrace.status).toBe(200);
    expect(withoutGrace.body.previous).toHaveLength(10);
  });
});

describe("kind: a rotation racing the deletion of its owner leaves no secret behind", () => {
  /** KV whose puts wait until `open()` is called; `putStarted` settles when the first put arrives. */
  function gatedKv() {
    let open!: () => void;
    let started!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const putStarted = new Promise<void>((resolve) => (started = resolve));
    const kv = {
      get: env.SECRETS.get.bind(env.SECRETS),
      delete: env.SECRETS.delete.bind(env.SECRETS),
      put: async (...args: Parameters<KVNamespace["put"]>) => {
        started();
        await gate;
        return env.SECRETS.put(...args);
      },
    } as unknown as KVNamespace;
    return { kv, open, putStarted };
  }

  it("an endpoint deleted while its rotation is being stored: the rotation answers 404 and KV holds no secret for it", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://example.com/hook" });
    const gated = gatedKv();

    const rotation = callWorker({ ...env, SECRETS: gated.kv } as Env, "POST", `/v1/tenants/${id}/endpoints/${endpoint.id}/secret/rotate`, { body: {} });
    await gated.putStarted;
    expect((await apiJson("DELETE", `/v1/tenants/${id}/endpoints/${endpoint.id}`)).status).toBe(204);
    gated.open();

    expect((await rotation).status).toBe(404);
    expect(await env.SECRETS.get(`secret:endpoint:${endpoint.id}`)).toBeNull();
  });

  it("a tenant deleted while its own secret's rotation is being stored: the rotation answers 404 and KV holds no secret for it", async () => {
    const { id } = await newTenant();
    const gated = gatedKv();

    const rotation = callWorker({ ...env, SECRETS: gated.kv } as Env, "POST", `/v1/tenants/${id}/secret/rotate`, { body: {} });
    await gated.putStarted;
    expect((await apiJson("DELETE", `/v1/tenants/${id}`)).status).toBe(204);
    gated.open();

    expect((await rotation).status).toBe(404);
    expect(await env.SECRETS.get(`secret:tenant:${id}`)).toBeNull();
  });
});
