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
