import { describe, expect, it } from "vitest";
import { apiJson, bucket, eventually, newEndpoint, newTenant, received, receiverUrl } from "./support/api";

describe("smoke", () => {
  it("delivers", async () => {
    const t = await newTenant();
    const b = bucket();
    const ep = await newEndpoint(t.id, { url: `${receiverUrl()}/ok/${b}` });
    const msg = await apiJson("POST", `/v1/tenants/${t.id}/messages`, { token: t.key, body: { event: "a.b", payload: { x: 1 } } });
    expect(msg.status).toBe(202);
    const got = await eventually(async () => (await received(b)).length > 0 && received(b));
    expect(got![0]!.body).toBe('{"x":1}');
    expect(ep.secret).toMatch(/^whsec_/);
  });
});
