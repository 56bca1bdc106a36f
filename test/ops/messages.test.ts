import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { enqueueMessage, getMessage } from "../../src/ops/messages";
import { createTenant } from "../../src/ops/tenants";
import { holdingQueue } from "../support/worker";
import { rowsOnShards } from "../support/shards";

const messageCount = (tenantId: string) => rowsOnShards("messages", tenantId);

describe("message operations", () => {
  it("enqueueMessage stores the payload text exactly and polling returns it", async () => {
    const { id: tenantId } = await createTenant(env, { name: "Ops test tenant" });
    const { queue } = holdingQueue();
    const { response } = await enqueueMessage({ ...env, DELIVERIES: queue }, { tenantId, event: "a.b", payload: '{"n":1}', source: "model-1" });
    expect(await getMessage(env, tenantId, response.id)).toMatchObject({ id: response.id, event: "a.b", source: "model-1", payload: '{"n":1}' });
  });

  it("enqueueMessage refuses a payload over MAX_PAYLOAD_BYTES with a 413 and stores nothing", async () => {
    const { id: tenantId } = await createTenant(env, { name: "Ops test tenant" });
    const small = { ...env, MAX_PAYLOAD_BYTES: "16" } as Env;
    await expect(enqueueMessage(small, { tenantId, event: "a.b", payload: JSON.stringify("x".repeat(20)), source: null })).rejects.toMatchObject({
      status: 413,
      code: "payload_too_large",
    });
    expect(await messageCount(tenantId)).toBe(0);
  });

  it("enqueueMessage refuses a webhook_url the target guard blocks and stores nothing", async () => {
    const { id: tenantId } = await createTenant(env, { name: "Ops test tenant" });
    const guarded = { ...env, ALLOW_PRIVATE_TARGETS: "false" } as Env;
    await expect(
      enqueueMessage(guarded, { tenantId, event: "a.b", payload: "{}", source: null, webhookUrl: "http://10.0.0.1/hook" }),
    ).rejects.toMatchObject({ status: 400, issues: [{ path: "webhook_url", message: expect.any(String) }] });
    expect(await messageCount(tenantId)).toBe(0);
  });
});
