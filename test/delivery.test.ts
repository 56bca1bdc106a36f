import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { api, apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl } from "./support/api";

const base = (t: string) => `/v1/tenants/${t}`;

/** Enqueues through the API (real queue, real consumer) and returns the 202 body. */
async function enqueue(tenantId: string, body: Record<string, unknown>) {
  const res = await apiJson("POST", `${base(tenantId)}/messages`, { body });
  expect(res.status).toBe(202);
  return res.body;
}

/** Polls a delivery until `done` says so, and returns it with its attempts. */
async function pollDelivery(tenantId: string, deliveryId: string, done: (d: any) => boolean, timeout?: number) {
  return eventually(async () => {
    const res = await apiJson("GET", `${base(tenantId)}/deliveries/${deliveryId}`);
    return done(res.body) && res.body;
  }, timeout);
}

describe("end-to-end delivery to a real receiver", () => {
  it("the receiver gets the payload bytes, JSON content type, static headers and a Standard Webhooks signature", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}`, headers: { Authorization: "Bearer receiver-token" } });
    const message = await enqueue(id, { event: "document.predicted", payload: { document: { id: "d1", pages: 2 } } });

    const [request] = await eventually(async () => (await received(name)).length === 1 && received(name));
    expect(request!.body).toBe('{"document":{"id":"d1","pages":2}}');
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers.authorization).toBe("Bearer receiver-token");
    expect(request!.headers["webhook-id"]).toBe(message.id);
    const verified = new Webhook(endpoint.secret).verify(request!.body, request!.headers);
    expect(verified).toEqual({ document: { id: "d1", pages: 2 } });
  });

  it("the hmac-sha256 scheme signs the body with the whole secret in the chosen header and prefix", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, {
      url: `${receiverUrl()}/ok/${name}`,
      signature: { scheme: "hmac-sha256", header: "X-Hub-Signature-256", prefix: "sha256=" },
    });
    await enqueue(id, { event: "push", payload: { ref: "main" } });
    const [request] = await eventually(async () => (await received(name)).length === 1 && received(name));
    const expected = "sha256=" + createHmac("sha256", endpoint.secret).update(request!.body).digest("hex");
    expect(request!.headers["x-hub-signature-256"]).toBe(expected);
  });

  it("the hmac-sha256 scheme defaults to X-Webhook-Signature without a prefix", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}`, signature: { scheme: "hmac-sha256" } });
    await enqueue(id, { event: "x", payload: [1, 2] });
    const [request] = await eventually(async () => (await received(name)).length === 1 && received(name));
    expect(request!.headers["x-webhook-signature"]).toBe(createHmac("sha256", endpoint.secret).update("[1,2]").digest("hex"));
  });

  it("during a rotation's grace period a delivery carries one signature per valid secret", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const rotated = await apiJson("POST", `${base(id)}/endpoints/${endpoint.id}/secret/rotate`, { body: { grace_period_seconds: 600 } });
    await enqueue(id, { event: "x", payload: { rotated: true } });
    const [request] = await eventually(async () => (await received(name)).length === 1 && received(name));
    expect(request!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(rotated.body.secret).verify(request!.body, request!.headers)).toEqual({ rotated: true });
    expect(new Webhook(endpoint.secret).verify(request!.body, request!.headers)).toEqual({ rotated: true });
  });

  it("a one-off webhook_url delivery is signed with the tenant's secret", async () => {
    const { id, key } = await newTenant();
    const name = bucket();
    await apiJson("POST", `${base(id)}/messages`, { token: key, body: { event: "job.done", payload: { ok: 1 }, webhook_url: `${receiverUrl()}/ok/${name}` } });
    const [request] = await eventually(async () => (await received(name)).length === 1 && received(name));
    const secret = (await apiJson("GET", `${base(id)}/secret`, { token: key })).body.secret;
    expect(new Webhook(secret).verify(request!.body, request!.headers)).toEqual({ ok: 1 });
  });

  it("a receiver failing twice then succeeding gets exactly three attempts, visible through polling", async () => {
    const { id } = await newTenant();
    const name = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/fail/2/${name}`, retry: { schedule: [0, 0] } });
    const message = await enqueue(id, { event: "x", payload: { try: "hard" } });
    const delivery = await pollDelivery(id, message.deliveries[0].id, (d) => d.status === "succeeded");
    expect(delivery.attempt_count).toBe(3);
    expect(delivery.attempts.map((a: { attempt: number; status_code: number; outcome: string }) => [a.attempt, a.status_code, a.outcome])).toEqual([
      [1, 500, "retryable"],
      [2, 500, "retryable"],
      [3, 200, "ok"],
    ]);
    expect(await received(name)).toHaveLength(3);
    const ids = new Set((await received(name)).map((r) => r.headers["webhook-id"]));
    expect(ids).toEqual(new Set([message.id]));
    const polled = await apiJson("GET", `${base(id)}/messages/${message.id}`);
    expect(polled.body.deliveries[0]).toMatchObject({ status: "succeeded", attempt_count: 3, last_status_code: 200 });
  });

  it("a hanging receiver is cut off at the endpoint's timeout", async () => {
    const { id } = await newTenant();
    const name = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/hang/${name}`, timeout_ms: 1000, retry: { max_attempts: 1 } });
    const message = await enqueue(id, { event: "x", payload: 1 });
    const delivery = await pollDelivery(id, message.deliveries[0].id, (d) => d.status === "failed");
    expect(delivery.attempts[0]).toMatchObject({ error_kind: "timeout", status_code: null, error: "No response within 1000 ms" });
    expect(delivery.attempts[0].duration_ms).toBeGreaterThanOrEqual(1000);
  });

  it("a redirect is a failed attempt and its Location is never requested", async () => {
    const { id } = await newTenant();
    const name = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/redirect/${name}`, retry: { max_attempts: 1 } });
    const message = await enqueue(id, { event: "x", payload: 1 });
    const delivery = await pollDelivery(id, message.deliveries[0].id, (d) => d.status === "failed");
    expect(delivery.attempts[0]).toMatchObject({ status_code: 302, error_kind: "redirect", outcome: "retryable" });
    expect((await received(name)).map((r) => r.path)).toEqual([`/redirect/${name}`]);
  });

  it("an attempt keeps the start of the receiver's answer", async () => {
    const { id } = await newTenant();
    const name = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/status/418/${name}`, retry: { max_attempts: 1 } });
    const message = await enqueue(id, { event: "x", payload: 1 });
    const delivery = await pollDelivery(id, message.deliveries[0].id, (d) => d.status === "failed");
    expect(delivery.attempts[0]).toMatchObject({ status_code: 418, response_body: "status 418", error: "Receiver answered 418" });
  });
});

describe("replay", () => {
  it("retrying a failed delivery sends it again with a fresh attempt budget", async () => {
    const { id, key } = await newTenant();
    const name = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/fail/1/${name}`, retry: { max_attempts: 1 } });
    const message = await enqueue(id, { event: "x", payload: 1 });
    const deliveryId = message.deliveries[0].id;
    await pollDelivery(id, deliveryId, (d) => d.status === "failed");

    const retried = await apiJson("POST", `${base(id)}/deliveries/${deliveryId}/retry`, { token: key });
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual({ deliveries: [{ id: deliveryId, status: "pending" }] });
    const delivery = await pollDelivery(id, deliveryId, (d) => d.status === "succeeded");
    expect(delivery.attempt_count).toBe(2);
    expect(await received(name)).toHaveLength(2);
  });

  it("retrying a delivery that succeeded sends it once more", async () => {
    const { id } = await newTenant();
    const name = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    const message = await enqueue(id, { event: "x", payload: 1 });
    await pollDelivery(id, message.deliveries[0].id, (d) => d.status === "succeeded");
    await api("POST", `${base(id)}/deliveries/${message.deliveries[0].id}/retry`);
    await eventually(async () => (await received(name)).length === 2);
  });

  it("another tenant's delivery cannot be read or replayed", async () => {
    const a = await newTenant();
    const b = await newTenant();
    await newEndpoint(b.id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const message = await enqueue(b.id, { event: "x", payload: 1 });
    const deliveryId = message.deliveries[0].id;
    expect((await api("GET", `${base(b.id)}/deliveries/${deliveryId}`, { token: a.key })).status).toBe(404);
    expect((await api("GET", `${base(a.id)}/deliveries/${deliveryId}`, { token: a.key })).status).toBe(404);
    expect((await api("POST", `${base(a.id)}/deliveries/${deliveryId}/retry`, { token: a.key })).status).toBe(404);
  });

  it("recover replays every failed delivery of an endpoint since a time", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/fail/2/${name}`, retry: { max_attempts: 1 } });
    const since = new Date().toISOString();
    const first = await enqueue(id, { event: "x", payload: 1 });
    const second = await enqueue(id, { event: "x", payload: 2 });
    for (const m of [first, second]) await pollDelivery(id, m.deliveries[0].id, (d) => d.status === "failed");

    const failed = await apiJson("GET", `${base(id)}/deliveries?endpoint_id=${endpoint.id}&status=failed`);
    expect(failed.body.data).toHaveLength(2);
    const recovered = await apiJson("POST", `${base(id)}/endpoints/${endpoint.id}/recover`, { body: { since } });
    expect(recovered.status).toBe(202);
    expect(recovered.body.deliveries).toHaveLength(2);
    for (const m of [first, second]) await pollDelivery(id, m.deliveries[0].id, (d) => d.status === "succeeded");
  });

  it("recover leaves failures from before `since` alone", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/status/500/${bucket()}`, retry: { max_attempts: 1 } });
    const old = await enqueue(id, { event: "x", payload: 1 });
    await pollDelivery(id, old.deliveries[0].id, (d) => d.status === "failed");
    const res = await apiJson("POST", `${base(id)}/endpoints/${endpoint.id}/recover`, { body: { since: new Date(Date.now() + 1000).toISOString() } });
    expect(res.body.deliveries).toEqual([]);
  });

  it("the test route sends a webhook.test message to that endpoint only", async () => {
    const { id, key } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}`, events: ["document.*"] });
    const other = bucket();
    await newEndpoint(id, { url: `${receiverUrl()}/ok/${other}` });
    const res = await apiJson("POST", `${base(id)}/endpoints/${endpoint.id}/test`, { token: key });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ event: "webhook.test", deliveries: [{ endpoint_id: endpoint.id, status: "pending" }] });
    const [request] = await eventually(async () => (await received(name)).length === 1 && received(name));
    expect(JSON.parse(request!.body)).toMatchObject({ type: "webhook.test", endpoint_id: endpoint.id });
    expect(await received(other)).toEqual([]);
  });
});
