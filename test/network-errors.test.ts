import { inject, describe, expect, it } from "vitest";
import { apiJson, newEndpoint, newTenant } from "./support/api";
import { consume, enqueueHeld } from "./support/worker";

// Runs in the "network" project (vitest.config.ts): the Worker's fetch reaches 127.0.0.1 over workerd's
// own network, so a closed port fails the request as it does under `wrangler dev` and in production.
describe("attempt errors name what happened", () => {
  it("a delivery to a port where nothing listens records a refused connection with host and port", async () => {
    const url = new URL(inject("closedPortUrl"));
    const { id } = await newTenant();
    await newEndpoint(id, { url: url.href });
    const { message, tasks } = await enqueueHeld(id, { event: "document.predicted", payload: { n: 1 } });
    await consume(tasks);
    const delivery = await apiJson("GET", `/v1/tenants/${id}/deliveries/${message.deliveries[0]!.id}`);
    expect(delivery.body.last_error).toBe(`Connection refused by 127.0.0.1:${url.port} (nothing accepts connections there)`);
  });
});
