import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { shardCount, shardDb } from "../src/shards";
import { buildRequest, receiverUrl, type RequestOptions } from "./support/api";

/**
 * The API as a client sees it while D1, KV, Queues and R2 fail often and KV lags (CONTRACT.md,
 * "Fault injection"): every answer is a 2xx, an expected 4xx, or a 503 with Retry-After, and a
 * client that sends a 503'd request again with the same Idempotency-Key ends with one message.
 */
const FAULTS = "kv_stale_seconds=30 d1_error_rate=0.3 queue_error_rate=0.3 r2_error_rate=0.3 kv_error_rate=0.3";
const FAULTY_ENV = { ...env, ALLOW_FAULT_INJECTION: "true", EDGEHOOK_FAULTS: FAULTS } as Env;

interface Answer {
  status: number;
  body: any;
}

/** Every answer the client got, for the assertion on what the API may answer. */
const answers: Array<{ call: string; status: number; retryAfter: string | null; body: string }> = [];

/** Sends one request through the Worker with faults on, recording the answer. */
async function call(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  const res = await worker.fetch(buildRequest(method, path, options) as Request<unknown, IncomingRequestCfProperties>, FAULTY_ENV, createExecutionContext());
  const text = await res.text();
  answers.push({ call: `${method} ${path}`, status: res.status, retryAfter: res.headers.get("retry-after"), body: text });
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A client that sends a request again, unchanged, while it is answered 503 (at most 40 times). */
async function retrying(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  for (let sent = 1; ; sent++) {
    const answer = await call(method, path, options);
    if (answer.status !== 503 || sent === 40) return answer;
  }
}

/** Random text of `bytes` characters: compressed, it stays over R2_PAYLOAD_THRESHOLD_BYTES, so its message goes to R2. */
function incompressible(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => (b % 64).toString(36)).join("").slice(0, bytes);
}

/** The messages a tenant has on its shard. */
async function storedMessages(tenantId: string): Promise<number> {
  let count = 0;
  for (let index = 0; index < shardCount(env); index++) {
    const row = await shardDb(env, index).prepare("SELECT COUNT(*) AS n FROM messages WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>();
    count += row!.n;
  }
  return count;
}

describe("the API under injected platform faults", () => {
  it("answers only 2xx, expected 4xx or 503 with Retry-After, and a client retrying with Idempotency-Key stores each message once", async () => {
    const tenantId = `faults-${crypto.randomUUID().slice(0, 8)}`;
    const tenant = await retrying("POST", "/v1/tenants", { body: { name: "Faults", id: tenantId } });
    expect(tenant.status).toBe(201);

    const endpoints: string[] = [];
    for (let i = 0; i < 2; i++) {
      const endpoint = await retrying("POST", `/v1/tenants/${tenantId}/endpoints`, { body: { url: `${receiverUrl()}/faults-${i}` } });
      expect(endpoint.status).toBe(201);
      endpoints.push(endpoint.body.id);
    }

    const keys: string[] = [];
    const messageIds = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const key = `single-${i}-${crypto.randomUUID()}`;
      keys.push(key);
      const sent = await retrying("POST", `/v1/tenants/${tenantId}/messages`, {
        headers: { "idempotency-key": key },
        body: { event: "fault.test", payload: { i, pad: i % 3 === 0 ? incompressible(12_000) : "small" }, endpoint_ids: endpoints },
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(202);
      messageIds.add(sent.body.id);
    }
    for (let b = 0; b < 3; b++) {
      const messages = Array.from({ length: 4 }, (_, i) => {
        const key = `batch-${b}-${i}-${crypto.randomUUID()}`;
        keys.push(key);
        return { event: "fault.test", payload: { b, i }, endpoint_ids: endpoints, idempotency_key: key };
      });
      const sent = await retrying("POST", `/v1/tenants/${tenantId}/messages/batch`, { body: { messages } });
      expect(sent.status, JSON.stringify(sent.body)).toBe(202);
      for (const m of sent.body.messages) messageIds.add(m.id);
    }

    const [first] = messageIds;
    const polled = await retrying("GET", `/v1/tenants/${tenantId}/messages/${first}`);
    expect(polled.status).toBe(200);
    const replay = await retrying("POST", `/v1/tenants/${tenantId}/deliveries/${polled.body.deliveries[0].id}/retry`);
    expect(replay.status).toBe(202);

    const unexpected = answers.filter((a) => !(a.status < 300 || (a.status === 503 && a.retryAfter !== null)));
    expect(unexpected).toEqual([]);
    expect(answers.some((a) => a.status === 503)).toBe(true);
    expect(messageIds.size).toBe(keys.length);
    expect(await storedMessages(tenantId)).toBe(keys.length);
  });
});
