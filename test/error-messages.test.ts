import { describe, expect, it } from "vitest";
import { apiJson, newTenant } from "./support/api";

describe("errors a person can act on", () => {
  it("says where a malformed JSON request body breaks", async () => {
    const tenant = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${tenant.id}/messages`, { rawBody: '{\n  "event": "a.b",\n  "payload": {"x": 1,}\n}' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: "invalid_json",
      message: "The request body is not valid JSON: expected a property name in double quotes at line 3, column 22 (position 41)",
    });
  });

  it("says where a malformed batch body breaks", async () => {
    const tenant = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${tenant.id}/messages/batch`, { rawBody: '{"messages": [{"event": "a.b" "payload": 1}]}' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("expected ',' at line 1, column 31 (position 30)");
  });

  it("reads a missing field as a sentence", async () => {
    const tenant = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${tenant.id}/messages`, { body: { payload: {} } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toContainEqual({ path: "event", message: "is required" });
  });

  it("names the expected and the received type of a field", async () => {
    const tenant = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${tenant.id}/endpoints`, { body: { url: 42 } });
    expect(res.body.error.issues).toContainEqual({ path: "url", message: "must be a string, not a number" });
  });

  it("names a field the request should not have", async () => {
    const tenant = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${tenant.id}/endpoints`, { body: { url: "https://example.com/hook", colour: "red" } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toContainEqual({ path: "(root)", message: 'has a field it does not know: "colour"' });
  });

  it("suggests the scheme for an endpoint URL typed without one", async () => {
    const tenant = await newTenant();
    for (const url of ["example.com/hooks", "localhost:9000/hook"]) {
      const res = await apiJson("POST", `/v1/tenants/${tenant.id}/endpoints`, { body: { url } });
      expect(res.status).toBe(400);
      expect(res.body.error.issues).toContainEqual({
        path: "url",
        message: `must start with its scheme: "https://${url}" (or "http://${url}" for a local receiver)`,
      });
    }
  });

  it("suggests the scheme for a one-off webhook_url typed without one", async () => {
    const tenant = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${tenant.id}/messages`, { body: { event: "a.b", payload: {}, webhook_url: "example.com/hook" } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].message).toContain('"https://example.com/hook"');
  });
});
