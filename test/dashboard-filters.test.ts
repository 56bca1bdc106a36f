import { describe, expect, it } from "vitest";
import { apiJson, bucket, newEndpoint } from "./support/api";
import { endpointForm, signedIn, textOf } from "./support/dashboard-client";

const form = (fields: Record<string, string>) => endpointForm({ url: "https://example.com/hooks", ...fields });

const createdId = (res: { headers: Headers }) => /^\/dashboard\/endpoints\/([0-9a-f-]{36})\?/.exec(res.headers.get("location")!)![1]!;

describe("the payload filter on the endpoint form", () => {
  it("creates an endpoint with the filter typed in, shows it when editing, and clears it when emptied", async () => {
    const { tenant, browser } = await signedIn();
    const res = await browser.post("/dashboard/endpoints/new", form({ filter: '{"amount": {"$gte": 100}}' }));
    expect(res.status).toBe(303);
    const id = createdId(res);
    const endpoint = (path = "") => apiJson("GET", `/v1/tenants/${tenant.id}/endpoints/${id}${path}`);
    expect((await endpoint()).body.filter).toEqual({ amount: { $gte: 100 } });
    expect((await browser.get(`/dashboard/endpoints/${id}/edit`)).html).toContain("&quot;$gte&quot;: 100");

    await browser.post(`/dashboard/endpoints/${id}/edit`, form({ filter: "" }));
    expect((await endpoint()).body.filter).toBeNull();
  });

  it("shows the API's message for an unknown operator, naming its path, and keeps what was typed", async () => {
    const { tenant, browser } = await signedIn();
    const page = await browser.post("/dashboard/endpoints/new", form({ filter: '{"amount": {"$over": 100}}' }));
    expect(page.status).toBe(400);
    expect(textOf(page.html)).toContain("amount.$over: $over is not a known operator");
    expect(page.html).toMatch(/id="filter" name="filter"[^>]*aria-invalid="true">\{&quot;amount&quot;: \{&quot;\$over&quot;: 100\}\}</);
    expect((await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints`)).body.data).toEqual([]);
  });

  it("says so when the filter is not JSON", async () => {
    const { browser } = await signedIn();
    const page = await browser.post("/dashboard/endpoints/new", form({ filter: "{amount: 1}" }));
    expect(page.status).toBe(400);
    expect(textOf(page.html)).toContain("is not JSON");
  });

  it("notes a filter path that the schema of an event type the endpoint listens to does not declare, and saves it all the same", async () => {
    const { tenant, browser } = await signedIn();
    const name = `invoice.paid.${bucket()}`;
    const schema = { type: "object", properties: { amount: { type: "number" }, customer: { type: "object", properties: { email: { type: "string" } } } } };
    expect((await apiJson("POST", "/v1/event-types", { body: { name, schema } })).status).toBe(201);
    const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/a", events: [name], filter: { amount: { $gt: 1 }, "customer.plan": "pro" } });
    const text = textOf((await browser.get(`/dashboard/endpoints/${endpoint.id}/edit`)).html);
    expect(text).toContain(`The schema of ${name} does not declare customer.plan`);
    expect(text).not.toContain("does not declare amount");
  });

  it("notes nothing for an event type the endpoint does not listen to", async () => {
    const { tenant, browser } = await signedIn();
    const name = `invoice.refunded.${bucket()}`;
    await apiJson("POST", "/v1/event-types", { body: { name, schema: { type: "object", properties: { amount: { type: "number" } } } } });
    const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/a", events: ["other.*"], filter: { "customer.plan": "pro" } });
    expect(textOf((await browser.get(`/dashboard/endpoints/${endpoint.id}/edit`)).html)).not.toContain(`The schema of ${name}`);
  });
});
