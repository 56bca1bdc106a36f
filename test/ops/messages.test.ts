import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { enqueueRequestOf } from "../../src/ops/enqueue-request";
import { enqueueMessage, getMessage } from "../../src/ops/messages";
import { IDEMPOTENCY_WINDOW_HOURS } from "../../src/limits";
import { createTenant } from "../../src/ops/tenants";
import { holdingQueue } from "../support/worker";
import { rowsOnShards } from "../support/shards";

const messageCount = (tenantId: string) => rowsOnShards("messages", tenantId);

describe("message operations", () => {
  it("enqueueMessage stores the payload text exactly and polling returns it", async () => {
    const { id: tenantId } = await createTenant(env, { name: "Ops test tenant" });
    const { queue } = holdingQueue();
    const { response } = await enqueueMessage({ ...env, DELIVERIES: queue }, { tenantId, event: "a.b", payload: '{"n":1}', value: { n: 1 }, source: "model-1" });
    expect(await getMessage(env, tenantId, response.id)).toMatchObject({ id: response.id, event: "a.b", source: "model-1", payload: '{"n":1}' });
  });

  it("enqueueMessage refuses a payload over MAX_PAYLOAD_BYTES with a 413 and stores nothing", async () => {
    const { id: tenantId } = await createTenant(env, { name: "Ops test tenant" });
    const small = { ...env, MAX_PAYLOAD_BYTES: "16" } as Env;
    await expect(enqueueMessage(small, { tenantId, event: "a.b", payload: JSON.stringify("x".repeat(20)), value: "x".repeat(20), source: null })).rejects.toMatchObject({
      status: 413,
      code: "payload_too_large",
    });
    expect(await messageCount(tenantId)).toBe(0);
  });

  it("enqueueMessage refuses a webhook_url the target guard blocks and stores nothing", async () => {
    const { id: tenantId } = await createTenant(env, { name: "Ops test tenant" });
    const guarded = { ...env, ALLOW_PRIVATE_TARGETS: "false" } as Env;
    await expect(
      enqueueMessage(guarded, { tenantId, event: "a.b", payload: "{}", value: {}, source: null, webhookUrl: "http://10.0.0.1/hook" }),
    ).rejects.toMatchObject({ status: 400, issues: [{ path: "webhook_url", message: expect.any(String) }] });
    expect(await messageCount(tenantId)).toBe(0);
  });

  it("an API enqueue request takes its payload verbatim from the request text and names its Idempotency-Key window's fingerprint", () => {
    const body = { event: "a.b", payload: { n: 1 } };
    const request = enqueueRequestOf("t1", body, '{"event":"a.b","payload": {"n":1.0} }', "key-1");
    expect(request).toMatchObject({ tenantId: "t1", event: "a.b", payload: '{"n":1.0}', source: null });
    const plain = enqueueRequestOf("t1", body, '{"event":"a.b","payload":{"n":1}}', "key-1");
    expect(request.idempotency!.fingerprint).not.toBe(plain.idempotency!.fingerprint);
  });

  it("an API enqueue request without an Idempotency-Key carries no fingerprint", () => {
    expect(enqueueRequestOf("t1", { event: "a.b", payload: 1 }, '{"event":"a.b","payload":1}', undefined).idempotency).toBeUndefined();
  });

  it("a key reused for another request within the window is refused with the window in the message", async () => {
    const { id: tenantId } = await createTenant(env, { name: "Ops test tenant" });
    const held = { ...env, DELIVERIES: holdingQueue().queue };
    await enqueueMessage(held, enqueueRequestOf(tenantId, { event: "a.b", payload: 1 }, '{"event":"a.b","payload":1}', "k"));
    await expect(
      enqueueMessage(held, enqueueRequestOf(tenantId, { event: "a.b", payload: 2 }, '{"event":"a.b","payload":2}', "k")),
    ).rejects.toMatchObject({ status: 422, code: "idempotency_key_reused", message: expect.stringContaining(`last ${IDEMPOTENCY_WINDOW_HOURS} h`) });
  });
});
