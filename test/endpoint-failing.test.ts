import { describe, expect, it } from "vitest";
import { apiJson, bucket, newEndpoint, newTenant, receiverUrl } from "./support/api";
import { consume, enqueueHeld } from "./support/worker";

/** A tenant with one endpoint at the receiver path `kind/…/bucket`. */
async function endpointAt(receiverPath: string) {
  const { id } = await newTenant();
  const endpoint = await newEndpoint(id, { url: `${receiverUrl()}/${receiverPath}/${bucket()}`, retry: { schedule: [0] } });
  return { tenantId: id, endpoint };
}

/** One delivery to the tenant's endpoint, run through the consumer as if at `now` (epoch ms). */
async function deliverOnce(tenantId: string, now: number) {
  const { tasks } = await enqueueHeld(tenantId, { event: "document.predicted", payload: { n: 1 } });
  await consume(tasks, { now });
}

const endpointOf = async (tenantId: string, id: string) => (await apiJson("GET", `/v1/tenants/${tenantId}/endpoints/${id}`)).body;

describe("failing_since on endpoints", () => {
  it("is null on a new endpoint", async () => {
    const { endpoint } = await endpointAt("ok");
    expect(endpoint.failing_since).toBeNull();
  });

  it("an endpoint whose receiver fails shows when its failures began, in RFC 3339", async () => {
    const { tenantId, endpoint } = await endpointAt("status/500");
    const first = Date.parse("2026-12-07T10:00:00Z");
    await deliverOnce(tenantId, first);
    const shown = (await endpointOf(tenantId, endpoint.id)).failing_since;
    expect(shown).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Date.parse(shown)).toBeGreaterThanOrEqual(first);
    expect(Date.parse(shown)).toBeLessThan(first + 60_000);
  });

  it("a later failure keeps the time the failures began", async () => {
    const { tenantId, endpoint } = await endpointAt("status/500");
    await deliverOnce(tenantId, Date.parse("2026-12-07T10:00:00Z"));
    const began = (await endpointOf(tenantId, endpoint.id)).failing_since;
    await deliverOnce(tenantId, Date.parse("2026-12-07T11:00:00Z"));
    expect((await endpointOf(tenantId, endpoint.id)).failing_since).toBe(began);
  });

  it("a successful attempt clears it", async () => {
    const { tenantId, endpoint } = await endpointAt("fail/1");
    await deliverOnce(tenantId, Date.now());
    expect((await endpointOf(tenantId, endpoint.id)).failing_since).not.toBeNull();
    await deliverOnce(tenantId, Date.now());
    expect((await endpointOf(tenantId, endpoint.id)).failing_since).toBeNull();
  });

  it("shows in the endpoint list too", async () => {
    const { tenantId, endpoint } = await endpointAt("status/500");
    await deliverOnce(tenantId, Date.now());
    const list = (await apiJson("GET", `/v1/tenants/${tenantId}/endpoints`)).body;
    expect(list.data.find((e: { id: string }) => e.id === endpoint.id).failing_since).not.toBeNull();
  });
});
