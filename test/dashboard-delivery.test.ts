import { describe, expect, it } from "vitest";
import { apiJson, bucket, eventually, newEndpoint, receiverUrl } from "./support/api";
import { signedIn, textOf } from "./support/dashboard-client";
import { enqueueHeld } from "./support/worker";

const PAYLOAD = '{"document_id":"doc_123","total":42.50,"note":"caf\\u00e9"}';

/** A signed-in tenant with one endpoint (custom header `X-Api-Key: s3cret`) and one delivered message of PAYLOAD. */
async function delivered(fields: Record<string, unknown> = {}) {
  const { tenant, browser } = await signedIn();
  const endpoint = await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${bucket()}`, headers: { "X-Api-Key": "s3cret" }, ...fields });
  const res = await apiJson("POST", `/v1/tenants/${tenant.id}/messages`, {
    rawBody: `{"event":"document.predicted","payload":${PAYLOAD},"endpoint_ids":["${endpoint.id}"]}`,
  });
  const deliveryId = res.body.deliveries[0].id as string;
  await eventually(async () => (await apiJson("GET", `/v1/tenants/${tenant.id}/deliveries/${deliveryId}`)).body.status === "succeeded");
  return { tenant, browser, endpoint, messageId: res.body.id as string, deliveryId };
}

describe("the delivery page", () => {
  it("shows the event type and the payload, indented, with its exact text to copy", async () => {
    const { browser, deliveryId } = await delivered();
    const page = await browser.get(`/dashboard/deliveries/${deliveryId}`);
    expect(textOf(page.html)).toContain("Event type document.predicted");
    const shown = /<pre class="payload"[^>]*>([\s\S]*?)<\/pre>/.exec(page.html)![1]!.replace(/&quot;/g, '"');
    expect(shown).toBe('{\n  "document_id": "doc_123",\n  "total": 42.50,\n  "note": "caf\\u00e9"\n}');
    expect(page.html).toContain(`data-copy="${PAYLOAD.replace(/"/g, "&quot;")}"`);
  });

  it("serves the payload's exact bytes on request", async () => {
    const { browser, deliveryId } = await delivered();
    const res = await browser.get(`/dashboard/deliveries/${deliveryId}/payload`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.html).toBe(PAYLOAD);
  });

  it("lists each attempt's request headers, signature included, with custom header values masked", async () => {
    const { browser, deliveryId, messageId } = await delivered();
    const page = textOf((await browser.get(`/dashboard/deliveries/${deliveryId}`)).html);
    expect(page).toContain(`webhook-id ${messageId}`);
    expect(page).toMatch(/webhook-timestamp \d{10}/);
    expect(page).toContain("webhook-signature v1,");
    expect(page).toContain("user-agent Edgehook/1.0");
    expect(page).toContain("x-api-key ••••••••");
    expect(page).not.toContain("s3cret");
  });

  it("describes an ed25519 endpoint's signature as v1a, one per valid key", async () => {
    const { browser, deliveryId } = await delivered({ signature: { scheme: "ed25519" } });
    const page = textOf((await browser.get(`/dashboard/deliveries/${deliveryId}`)).html);
    expect(page).toContain("webhook-signature v1a,<base64 Ed25519 signature of");
    expect(page).toContain("one per valid key");
  });

  it("reveals custom header values when asked", async () => {
    const { browser, deliveryId } = await delivered();
    const page = textOf((await browser.get(`/dashboard/deliveries/${deliveryId}?headers=shown`)).html);
    expect(page).toContain("x-api-key s3cret");
  });

  it("shows each attempt's response status, duration and the start of the answer", async () => {
    const { browser, deliveryId } = await delivered();
    const page = textOf((await browser.get(`/dashboard/deliveries/${deliveryId}`)).html);
    expect(page).toMatch(/HTTP 200 +\d+ ms/);
  });

  it("refreshes itself while the delivery is in flight, and not once it is done", async () => {
    const { tenant, browser, endpoint, deliveryId } = await delivered();
    const done = await browser.get(`/dashboard/deliveries/${deliveryId}`);
    expect(done.html).not.toContain('http-equiv="refresh"');
    const { message } = await enqueueHeld(tenant.id, { event: "order.created", payload: {}, endpoint_ids: [endpoint.id] });
    const pending = await browser.get(`/dashboard/deliveries/${message.deliveries[0]!.id}`);
    expect(pending.html).toContain('<meta http-equiv="refresh" content="5"/>');
    expect((await browser.get("/dashboard/deliveries")).html).toContain('http-equiv="refresh"');
  });
});

describe("notices and replay", () => {
  it("shows a notice once: after the redirect, not on a reload", async () => {
    const { browser, deliveryId } = await delivered();
    await browser.get(`/dashboard/deliveries/${deliveryId}`);
    const replay = await browser.post(`/dashboard/deliveries/${deliveryId}/replay`);
    expect(replay.status).toBe(303);
    expect(replay.headers.get("location")).toBe(`/dashboard/deliveries/${deliveryId}`);
    expect(textOf((await browser.get(replay.headers.get("location")!)).html)).toContain("Delivery replayed");
    expect(textOf((await browser.get(replay.headers.get("location")!)).html)).not.toContain("Delivery replayed");
  });

  it("replaying from the list comes back to the list, filters kept", async () => {
    const { browser, deliveryId } = await delivered();
    await browser.get("/dashboard/deliveries?status=succeeded");
    const replay = await browser.post(`/dashboard/deliveries/${deliveryId}/replay`, { return_to: "/dashboard/deliveries?status=succeeded" });
    expect(replay.headers.get("location")).toBe("/dashboard/deliveries?status=succeeded");
  });

  it.each([
    ["to another site", ["https://evil.example/", "//evil.example/dashboard", "/dashboardx", "/dashboard\\@evil.example"]],
    ["out of the dashboard through dot segments, encoded or not", ["/dashboard/..//evil.example", "/dashboard/%2e%2e//evil.example", "/dashboard/../v1/me", "/dashboard/.%2E/.%2e/evil"]],
    ["anywhere with a control or non-ASCII character, and never answers 500", ["/dashboard/\u0000", "/dashboard/\u007f", "/dashboard/caf\u00e9", "/dashboard/\u2028"]],
  ])("never sends a replay's visitor %s: it lands on the delivery page", async (_, returnAddresses) => {
    const { browser, deliveryId } = await delivered();
    await browser.get("/dashboard/deliveries");
    for (const returnTo of returnAddresses) {
      const replay = await browser.post(`/dashboard/deliveries/${deliveryId}/replay`, { return_to: returnTo });
      expect(replay.status, JSON.stringify(returnTo)).toBe(303);
      expect(replay.headers.get("location"), JSON.stringify(returnTo)).toBe(`/dashboard/deliveries/${deliveryId}`);
    }
  });
});

describe("the test event form", () => {
  it("offers the endpoint's subscriptions and sends the chosen event with the edited payload, exactly", async () => {
    const { tenant, browser } = await signedIn();
    const endpoint = await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${bucket()}`, events: ["invoice.paid", "document.*"] });
    const form = await browser.get(`/dashboard/endpoints/${endpoint.id}/test`);
    const options = [...form.html.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
    expect(options).toEqual(["webhook.test", "invoice.paid", "document.test"]);
    expect(textOf(form.html)).toContain(`"endpoint_id": "${endpoint.id}"`);
    const payload = '{"invoice": 7, "amount": 1.10}';
    const sent = await browser.post(`/dashboard/endpoints/${endpoint.id}/test`, { event: "invoice.paid", payload });
    expect(sent.status).toBe(303);
    const messages = await apiJson("GET", `/v1/tenants/${tenant.id}/messages`);
    expect(messages.body.data[0].event).toBe("invoice.paid");
    const message = await apiJson("GET", `/v1/tenants/${tenant.id}/messages/${messages.body.data[0].id}`);
    expect(JSON.stringify(message.body.payload)).toBe(JSON.stringify(JSON.parse(payload)));
  });

  it("keeps what was typed and says why when the payload is not JSON", async () => {
    const { tenant, browser } = await signedIn();
    const endpoint = await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${bucket()}` });
    await browser.get(`/dashboard/endpoints/${endpoint.id}/test`);
    const res = await browser.post(`/dashboard/endpoints/${endpoint.id}/test`, { event: "webhook.test", payload: "{not json" });
    expect(res.status).toBe(400);
    expect(textOf(res.html)).toContain("The payload is not valid JSON");
    expect(res.html).toContain("{not json");
    expect((await apiJson("GET", `/v1/tenants/${tenant.id}/messages`)).body.data).toEqual([]);
  });
});

describe("scheduled deliveries", () => {
  /** A signed-in tenant with one endpoint and a message scheduled an hour ahead. */
  async function scheduled() {
    const { tenant, browser } = await signedIn();
    await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const due = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
    const { message } = await enqueueHeld(tenant.id, { event: "invoice.due", payload: 1, deliver_at: due });
    return { tenant, browser, due, messageId: message.id, deliveryId: message.deliveries[0]!.id };
  }

  it("a scheduled delivery's page shows its status and when it is due, with a Cancel button", async () => {
    const { browser, deliveryId, due } = await scheduled();
    const page = await browser.get(`/dashboard/deliveries/${deliveryId}`);
    expect(textOf(page.html)).toContain("scheduled");
    expect(page.html).toContain(`datetime="${due.replace("Z", ".000Z")}"`);
    expect(textOf(page.html)).toContain("Scheduled for");
    expect(textOf(page.html)).toContain("Cancel message");
  });

  it("the Cancel button cancels the message and comes back to the delivery with a notice", async () => {
    const { tenant, browser, deliveryId, messageId } = await scheduled();
    await browser.get(`/dashboard/deliveries/${deliveryId}`);
    const cancel = await browser.post(`/dashboard/messages/${messageId}/cancel`);
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get("location")).toBe(`/dashboard/deliveries/${deliveryId}`);
    expect(textOf((await browser.get(cancel.headers.get("location")!)).html)).toContain("Message cancelled");
    expect((await apiJson("GET", `/v1/tenants/${tenant.id}/deliveries/${deliveryId}`)).body.status).toBe("cancelled");
  });

  it("cancelling without the form's CSRF token is refused and changes nothing", async () => {
    const { tenant, browser, deliveryId, messageId } = await scheduled();
    const res = await browser.post(`/dashboard/messages/${messageId}/cancel`, { _csrf: "" });
    expect(res.status).toBe(403);
    expect((await apiJson("GET", `/v1/tenants/${tenant.id}/deliveries/${deliveryId}`)).body.status).toBe("scheduled");
  });

  it("the delivery log lists a scheduled delivery with its due time and a Cancel button", async () => {
    const { browser, deliveryId } = await scheduled();
    const page = await browser.get("/dashboard/deliveries?status=scheduled");
    const row = new RegExp(`<tr data-delivery-id="${deliveryId}"[\\s\\S]*?</tr>`).exec(page.html)![0];
    expect(textOf(row)).toContain("due");
    expect(textOf(row)).toContain("Cancel");
  });
});
