import { describe, expect, it } from "vitest";
import { apiJson, bucket, eventually, newEndpoint, newTenant, receiverUrl } from "./support/api";
import { endpointForm as form, signedIn, textOf } from "./support/dashboard-client";

describe("the endpoint form", () => {
  it("creates the endpoint the API would create from the same fields", async () => {
    const { tenant, browser } = await signedIn();
    const res = await browser.post(
      "/dashboard/endpoints/new",
      form({
        url: "https://example.com/hooks",
        name: "Invoices",
        events: "document.*, job.failed",
        source: "invoices-v4",
        signature_scheme: "hmac-sha256",
        signature_header: "X-Hub-Signature-256",
        signature_prefix: "sha256=",
        headers: "Authorization: Bearer abc\nX-Team: billing",
        max_attempts: "3",
        schedule: "5, 60",
        timeout_ms: "5000",
      }),
    );
    expect(res.status).toBe(303);
    const id = /^\/dashboard\/endpoints\/([0-9a-f-]{36})\?/.exec(res.headers.get("location")!)![1];
    const created = await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints/${id}`);
    expect(created.body).toMatchObject({
      url: "https://example.com/hooks",
      name: "Invoices",
      events: ["document.*", "job.failed"],
      source: "invoices-v4",
      enabled: true,
      signature: { scheme: "hmac-sha256", header: "X-Hub-Signature-256", prefix: "sha256=" },
      headers: { Authorization: "Bearer abc", "X-Team": "billing" },
      retry: { max_attempts: 3, schedule: [5, 60] },
      timeout_ms: 5000,
    });
  });

  it("sets an endpoint's rate limit and in-flight cap, shows them on its page, and clears them when emptied", async () => {
    const { tenant, browser } = await signedIn();
    const res = await browser.post("/dashboard/endpoints/new", form({ url: "https://example.com/hooks", rate_per_second: "10", rate_burst: "3", max_in_flight: "2" }));
    const id = /^\/dashboard\/endpoints\/([0-9a-f-]{36})\?/.exec(res.headers.get("location")!)![1]!;
    expect((await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints/${id}`)).body).toMatchObject({ rate_limit: { per_second: 10, burst: 3 }, max_in_flight: 2 });
    expect(textOf((await browser.get(`/dashboard/endpoints/${id}`)).html)).toContain("10 per second, bursts of 3, at most 2 in flight");

    await browser.post(`/dashboard/endpoints/${id}/edit`, form({ url: "https://example.com/hooks" }));
    expect((await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints/${id}`)).body).toMatchObject({ rate_limit: null, max_in_flight: null });
  });

  it("shows a new endpoint in the slow delivery lane, and why", async () => {
    const { browser } = await signedIn();
    const res = await browser.post("/dashboard/endpoints/new", form({ url: "https://example.com/hooks" }));
    const id = /^\/dashboard\/endpoints\/([0-9a-f-]{36})\?/.exec(res.headers.get("location")!)![1]!;
    expect(textOf((await browser.get(`/dashboard/endpoints/${id}`)).html)).toContain("Delivery lane slow: new, or its receiver took 2 s or more");
  });

  it("reports a rate limit out of range next to its field", async () => {
    const { browser } = await signedIn();
    const page = await browser.post("/dashboard/endpoints/new", form({ url: "https://example.com/hooks", rate_per_second: "0" }));
    expect(page.status).toBe(400);
    expect(page.html).toMatch(/id="rate_per_second"[^>]*aria-invalid="true"/);
  });

  it("shows the API's own validation messages next to the fields, and keeps what was typed", async () => {
    const { tenant, browser } = await signedIn();
    const fields = { url: "not a url", events: "bad event", timeout_ms: "99" };
    const api = await apiJson("POST", `/v1/tenants/${tenant.id}/endpoints`, { body: { url: "not a url", events: ["bad event"], timeout_ms: 99 } });
    expect(api.status).toBe(400);
    const page = await browser.post("/dashboard/endpoints/new", form(fields));
    expect(page.status).toBe(400);
    const text = textOf(page.html);
    for (const issue of api.body.error.issues as Array<{ message: string }>) expect(text).toContain(issue.message);
    expect(page.html).toMatch(/id="url" name="url" value="not a url"[^>]*aria-invalid="true"/);
    expect(await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints`).then((r) => r.body.data)).toEqual([]);
  });

  it("shows the target guard's message for a URL the deployment may not call", async () => {
    const { tenant, browser } = await signedIn();
    const api = await apiJson("POST", `/v1/tenants/${tenant.id}/endpoints`, { body: { url: "ftp://example.com/hooks" } });
    const page = await browser.post("/dashboard/endpoints/new", form({ url: "ftp://example.com/hooks" }));
    expect(page.status).toBe(400);
    expect(textOf(page.html)).toContain(api.body.error.message);
  });

  it("says which header line is malformed", async () => {
    const { browser } = await signedIn();
    const page = await browser.post("/dashboard/endpoints/new", form({ url: "https://example.com/", headers: "X-Ok: 1\nno colon here" }));
    expect(page.status).toBe(400);
    expect(textOf(page.html)).toContain('line 2: write each header as "Name: value"');
  });

  it("edits an endpoint: cleared fields are cleared, as PATCH with null would", async () => {
    const { tenant, browser } = await signedIn();
    const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/a", name: "Old", source: "s1", events: ["a.b"] });
    await browser.get(`/dashboard/endpoints/${endpoint.id}/edit`);
    const res = await browser.post(`/dashboard/endpoints/${endpoint.id}/edit`, form({ url: "https://example.com/b", name: "New", enabled: "" }));
    expect(res.status).toBe(303);
    const after = await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}`);
    expect(after.body).toMatchObject({ url: "https://example.com/b", name: "New", source: null, events: [], enabled: false });
  });
});

describe("the signing secret", () => {
  it("is hidden until asked for, then shown", async () => {
    const { tenant, browser } = await signedIn();
    const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/a" });
    expect((await browser.get(`/dashboard/endpoints/${endpoint.id}`)).html).not.toContain(endpoint.secret);
    expect((await browser.get(`/dashboard/endpoints/${endpoint.id}?secret=shown`)).html).toContain(endpoint.secret);
  });

  it("regenerates with the chosen grace period", async () => {
    const { tenant, browser } = await signedIn();
    const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/a" });
    await browser.get(`/dashboard/endpoints/${endpoint.id}`);
    const res = await browser.post(`/dashboard/endpoints/${endpoint.id}/secret/rotate`, { grace_period_seconds: "3600" });
    expect(res.status).toBe(303);
    const secret = await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}/secret`);
    expect(secret.body.secret).not.toBe(endpoint.secret);
    const expires = Date.parse(secret.body.previous[0].expires_at);
    expect(expires).toBeGreaterThan(Date.now() + 3500_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000);
  });

  it("refuses a grace period the API would refuse", async () => {
    const { tenant, browser } = await signedIn();
    const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/a" });
    await browser.get(`/dashboard/endpoints/${endpoint.id}`);
    expect((await browser.post(`/dashboard/endpoints/${endpoint.id}/secret/rotate`, { grace_period_seconds: "9999999" })).status).toBe(400);
    expect((await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}/secret`)).body.secret).toBe(endpoint.secret);
  });
});

describe("an ed25519 endpoint's public key", () => {
  it("the form creates an ed25519 endpoint, whose page shows its public key openly and never a private key", async () => {
    const { tenant, browser } = await signedIn();
    const res = await browser.post("/dashboard/endpoints/new", form({ url: "https://example.com/hooks", signature_scheme: "ed25519" }));
    expect(res.status).toBe(303);
    const id = /^\/dashboard\/endpoints\/([0-9a-f-]{36})\?/.exec(res.headers.get("location")!)![1];
    const created = await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints/${id}`);
    expect(created.body.signature).toEqual({ scheme: "ed25519" });
    const page = await browser.get(`/dashboard/endpoints/${id}?secret=shown`);
    expect(textOf(page.html)).toContain("Public key");
    expect(page.html).toContain(created.body.public_key);
    expect(page.html).not.toContain("whsk_");
  });

  it("the secret the copy button fetches is the public key, not the private one", async () => {
    const { tenant, browser } = await signedIn();
    const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/a", signature: { scheme: "ed25519" } });
    const res = await browser.get(`/dashboard/endpoints/${endpoint.id}/secret`);
    expect(JSON.parse(res.html)).toEqual({ secret: endpoint.public_key });
  });

  it("editing the scheme to ed25519 issues a key pair: the page then shows the new public key", async () => {
    const { tenant, browser } = await signedIn();
    const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/a" });
    await browser.get(`/dashboard/endpoints/${endpoint.id}/edit`);
    const res = await browser.post(`/dashboard/endpoints/${endpoint.id}/edit`, form({ url: "https://example.com/a", signature_scheme: "ed25519" }));
    expect(res.status).toBe(303);
    const after = await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}`);
    expect(after.body.public_key).toMatch(/^whpk_/);
    expect((await browser.get(`/dashboard/endpoints/${endpoint.id}`)).html).toContain(after.body.public_key);
  });

  it("regenerating the key shows the new public key and says the previous key still co-signs", async () => {
    const { tenant, browser } = await signedIn();
    const endpoint = await newEndpoint(tenant.id, { url: "https://example.com/a", signature: { scheme: "ed25519" } });
    await browser.get(`/dashboard/endpoints/${endpoint.id}`);
    expect((await browser.post(`/dashboard/endpoints/${endpoint.id}/secret/rotate`, { grace_period_seconds: "3600" })).status).toBe(303);
    const { public_key } = (await apiJson("GET", `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}`)).body;
    expect(public_key).not.toBe(endpoint.public_key);
    const page = await browser.get(`/dashboard/endpoints/${endpoint.id}`);
    expect(page.html).toContain(public_key);
    expect(textOf(page.html)).toContain("The previous key still co-signs until");
  });
});

describe("activity", () => {
  it("shows each endpoint's success rate over the last 24 hours and a chart of its attempts and failures", async () => {
    const { tenant, browser } = await signedIn();
    const name = bucket();
    const good = await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${name}`, name: "Good" });
    const bad = await newEndpoint(tenant.id, { url: `${receiverUrl()}/status/500/${name}`, name: "Bad", retry: { max_attempts: 1 } });
    await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${name}`, name: "Quiet", events: ["never.sent"] });
    for (let i = 0; i < 2; i++) {
      await apiJson("POST", `/v1/tenants/${tenant.id}/messages`, { body: { event: "document.predicted", payload: { i }, endpoint_ids: [good.id] } });
    }
    await apiJson("POST", `/v1/tenants/${tenant.id}/messages`, { body: { event: "document.predicted", payload: {}, endpoint_ids: [bad.id] } });
    await eventually(async () => {
      const open = await apiJson("GET", `/v1/tenants/${tenant.id}/deliveries?status=pending`);
      const retrying = await apiJson("GET", `/v1/tenants/${tenant.id}/deliveries?status=retrying`);
      return open.body.data.length + retrying.body.data.length === 0;
    });
    const page = await browser.get("/dashboard");
    const row = (id: string) => textOf(new RegExp(`<tr data-endpoint-id="${id}">.*?</tr>`).exec(page.html)![0]);
    expect(row(good.id)).toContain("100% (2 of 2)");
    expect(row(bad.id)).toContain("0% (0 of 1)");
    expect(textOf(page.html)).toContain("No attempts");
    expect(page.html).toContain('aria-label="3 attempts in the last 24 hours, 1 failed"');
  });

  it("an endpoint's page charts its attempts of the last 24 hours in 24 bars, with its success rate and latency in words", async () => {
    const { tenant, browser } = await signedIn();
    const name = bucket();
    const endpoint = await newEndpoint(tenant.id, { url: `${receiverUrl()}/fail/1/${name}`, retry: { schedule: [0] } });
    await apiJson("POST", `/v1/tenants/${tenant.id}/messages`, { body: { event: "document.predicted", payload: {}, endpoint_ids: [endpoint.id] } });
    await eventually(async () => (await apiJson("GET", `/v1/tenants/${tenant.id}/deliveries?status=succeeded`)).body.data.length === 1);
    const page = await browser.get(`/dashboard/endpoints/${endpoint.id}`);
    const svg = /<svg[^>]*data-testid="endpoint-chart-svg"[^>]*>.*?<\/svg>/s.exec(page.html)![0];
    expect(svg.match(/<g class="bar">/g)).toHaveLength(24);
    expect(svg.match(/class="bar-bad"/g)).toHaveLength(1);
    const words = textOf(/<dl class="stats-words".*?<\/dl>/s.exec(page.html)![0]);
    expect(words).toContain("Success rate 50% (1 of 2)");
    expect(words).toMatch(/Latency about \d+ ms typical \(p50\), \d+ ms for the slowest 5% \(p95\)/);
  });

  it("an endpoint's page without attempts says so instead of a rate", async () => {
    const { tenant, browser } = await signedIn();
    const endpoint = await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${bucket()}` });
    const page = await browser.get(`/dashboard/endpoints/${endpoint.id}`);
    expect(textOf(/<dl class="stats-words".*?<\/dl>/s.exec(page.html)![0])).toContain("Success rate No attempts");
  });

  it("filters the delivery log by status", async () => {
    const { tenant, browser } = await signedIn();
    const name = bucket();
    const good = await newEndpoint(tenant.id, { url: `${receiverUrl()}/ok/${name}` });
    const bad = await newEndpoint(tenant.id, { url: `${receiverUrl()}/status/410/${name}`, retry: { max_attempts: 1 } });
    const ok = await apiJson("POST", `/v1/tenants/${tenant.id}/endpoints/${good.id}/test`);
    const failed = await apiJson("POST", `/v1/tenants/${tenant.id}/endpoints/${bad.id}/test`);
    const state = (id: string) => apiJson("GET", `/v1/tenants/${tenant.id}/deliveries/${id}`).then((r) => r.body.status);
    await eventually(async () => (await state(failed.body.deliveries[0].id)) === "failed" && (await state(ok.body.deliveries[0].id)) === "succeeded");
    const page = await browser.get("/dashboard/deliveries?status=failed");
    expect(page.html).toContain(`data-delivery-id="${failed.body.deliveries[0].id}"`);
    expect(page.html).not.toContain(`data-delivery-id="${ok.body.deliveries[0].id}"`);
  });
});
