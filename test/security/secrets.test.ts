import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetCachedSecrets } from "../../src/secrets";
import { apiJson, bucket, newEndpoint, newTenant, received, receiverUrl } from "../support/api";
import { callWorker } from "./support";
import { consume, holdingQueue } from "../support/worker";

const secretPath = (tenant: string, endpoint: string) => `/v1/tenants/${tenant}/endpoints/${endpoint}/secret`;
const kvKey = (endpoint: string) => `secret:endpoint:${endpoint}`;
/** A valid master key that is not the one the test project encrypts with. */
const OTHER_MASTER_KEY = "1:" + btoa("another-master-key-of-32-bytes!!");

/** Flips one bit of the stored ciphertext, leaving the envelope well-formed. */
async function tamper(endpoint: string): Promise<string> {
  const envelope = JSON.parse((await env.SECRETS.get(kvKey(endpoint)))!);
  const ct = Uint8Array.from(atob(envelope.ct), (ch) => ch.charCodeAt(0));
  ct[0]! ^= 1;
  envelope.ct = btoa(String.fromCharCode(...ct));
  const stored = JSON.stringify(envelope);
  await env.SECRETS.put(kvKey(endpoint), stored);
  return stored;
}

/** Every argument of every console call made so far, as one string. */
function logged(spies: Array<{ mock: { calls: unknown[][] } }>): string {
  return spies.flatMap((spy) => spy.mock.calls.flat().map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack}` : String(arg)))).join("\n");
}

function spyOnConsole() {
  return (["log", "info", "warn", "error", "debug"] as const).map((level) => vi.spyOn(console, level).mockImplementation(() => undefined));
}

afterEach(() => {
  vi.restoreAllMocks();
  forgetCachedSecrets();
});

describe("stored secrets fail closed", () => {
  it("a tampered ciphertext is a 500 secret_unavailable, with the cause in the server log only", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://example.com/hook" });
    await tamper(endpoint.id);
    const spies = spyOnConsole();
    const res = await apiJson("GET", secretPath(id, endpoint.id));
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe("secret_unavailable");
    expect(JSON.stringify(res.body)).not.toContain(kvKey(endpoint.id));
    expect(logged(spies)).toContain(`stored secret at ${kvKey(endpoint.id)} failed authentication`);
  });

  it("a wrong master key is a 500 secret_unavailable, never a plaintext fallback", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://example.com/hook" });
    const spies = spyOnConsole();
    const res = await callWorker({ ...env, MASTER_KEY: OTHER_MASTER_KEY }, "GET", secretPath(id, endpoint.id));
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe("secret_unavailable");
    expect(res.text).not.toContain(endpoint.secret);
    expect(logged(spies)).toContain("tampered or wrong master key");
  });

  it("a master key that lacks the stored key version is a 500 naming the version problem in the log", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://example.com/hook" });
    const spies = spyOnConsole();
    const res = await callWorker({ ...env, MASTER_KEY: "2:" + btoa("another-master-key-of-32-bytes!!") }, "GET", secretPath(id, endpoint.id));
    expect(res.status).toBe(500);
    expect(logged(spies)).toContain("unknown envelope or master key version");
  });

  it("a value copied under another endpoint's key does not decrypt there", async () => {
    const { id } = await newTenant();
    const donor = await newEndpoint(id, { url: "https://example.com/a" });
    const target = await newEndpoint(id, { url: "https://example.com/b" });
    await env.SECRETS.put(kvKey(target.id), (await env.SECRETS.get(kvKey(donor.id)))!);
    spyOnConsole();
    const res = await apiJson("GET", secretPath(id, target.id));
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe("secret_unavailable");
    expect(JSON.stringify(res.body)).not.toContain(donor.secret);
  });

  it("rotating over an undecryptable value fails and leaves the stored value as it was", async () => {
    const { id } = await newTenant();
    const endpoint = await newEndpoint(id, { url: "https://example.com/hook" });
    const stored = await tamper(endpoint.id);
    spyOnConsole();
    const res = await apiJson("POST", `${secretPath(id, endpoint.id)}/rotate`, { body: { grace_period_seconds: 0 } });
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe("secret_unavailable");
    expect(await env.SECRETS.get(kvKey(endpoint.id))).toBe(stored);
  });

  it("a delivery whose secret does not decrypt is recorded as a failed attempt and never sent unsigned", async () => {
    const { id } = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}` });
    await tamper(endpoint.id);
    forgetCachedSecrets();
    const spies = spyOnConsole();
    const capture = holdingQueue();
    const sent = await callWorker({ ...env, DELIVERIES: capture.queue }, "POST", `/v1/tenants/${id}/endpoints/${endpoint.id}/test`);
    expect(sent.status).toBe(202);
    await consume(capture.sent, { env: env });
    const delivery = await apiJson("GET", `/v1/tenants/${id}/deliveries/${sent.body.deliveries[0].id}`);
    expect(delivery.body.attempts).toMatchObject([{ outcome: "retryable", error: "Signing secret unavailable; nothing was sent", error_kind: "secret_unavailable", status_code: null }]);
    expect(await received(name)).toEqual([]);
    expect(logged(spies)).toContain(`delivery ${delivery.body.id}: signing secret unavailable`);
  });
});

describe("a deployment without a usable master key", () => {
  it("refuses to create a tenant and leaves no tenant without a secret behind", async () => {
    spyOnConsole();
    const id = `nokey-${crypto.randomUUID().slice(0, 8)}`;
    const res = await callWorker({ ...env, MASTER_KEY: "" }, "POST", "/v1/tenants", { body: { name: "No key", id } });
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe("secret_unavailable");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tenants WHERE id = ?").bind(id).first("n")).toBe(0);
  });
});

describe("secrets stay out of responses and logs", () => {
  const secret = "whsec_" + btoa("a-secret-nobody-may-ever-see-1234");

  it("no list, read or error response and no log line carries an endpoint's secret", async () => {
    const { id, key } = await newTenant();
    const spies = spyOnConsole();
    const name = bucket();
    const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/ok/${name}`, secret });
    const capture = holdingQueue();
    const responses = [
      await callWorker(env, "GET", `/v1/tenants/${id}/endpoints`, { token: key }),
      await callWorker(env, "GET", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { token: key }),
      await callWorker(env, "PATCH", `/v1/tenants/${id}/endpoints/${endpoint.id}`, { token: key, body: { name: "renamed" } }),
      await callWorker(env, "POST", `/v1/tenants/${id}/endpoints`, { body: { url: "ftp://example.com", secret } }),
      await callWorker(env, "POST", `/v1/tenants/${id}/endpoints`, { body: { url: "https://example.com", secret: `${secret}!` } }),
      await callWorker(env, "POST", `/v1/tenants/${id}/endpoints/${endpoint.id}/secret/rotate`, { body: { secret: `${secret}!` } }),
      await callWorker({ ...env, DELIVERIES: capture.queue }, "POST", `/v1/tenants/${id}/messages`, {
        body: { event: "a.b", payload: { n: 1 }, endpoint_ids: [endpoint.id] },
      }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 400, 400, 400, 202]);
    await consume(capture.sent, { env: env });
    const delivery = await apiJson("GET", `/v1/tenants/${id}/deliveries/${responses[6]!.body.deliveries[0].id}`);
    expect(delivery.body.status).toBe("succeeded");

    const secretBody = secret.slice("whsec_".length);
    for (const res of [...responses, delivery]) expect(JSON.stringify(res.body)).not.toContain(secretBody);
    expect(logged(spies)).not.toContain(secretBody);
    expect((await received(name))[0]!.body).not.toContain(secretBody);
  });
});
