import { describe, expect, it } from "vitest";
import { apiJson, eventually, newEndpoint, newTenant, receiverUrl, bucket } from "./support/api";
import { DashboardClient, signedIn, textOf } from "./support/dashboard-client";

const endpointCount = async (tenantId: string) => (await apiJson("GET", `/v1/tenants/${tenantId}/endpoints`)).body.data.length;

describe("dashboard response headers", () => {
  it("every page has a strict Content-Security-Policy: scripts by this response's nonce only, no inline styles", async () => {
    const { browser } = await signedIn();
    const page = await browser.get("/dashboard");
    const csp = page.headers.get("content-security-policy")!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.html).toContain(`<script src="/dashboard/assets/dashboard.js" nonce="${nonce}"`);
    expect(page.html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page.html).not.toMatch(/<style|\sstyle="/);
  });

  it("pages are never cached", async () => {
    const { browser } = await signedIn();
    expect((await browser.get("/dashboard")).headers.get("cache-control")).toBe("no-store");
  });

  it("unknown dashboard paths are an HTML 404 page", async () => {
    const { browser } = await signedIn();
    const page = await browser.get("/dashboard/nope");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toContain("text/html");
  });
});

describe("CSRF protection", () => {
  it("refuses a form posted without its token, and changes nothing", async () => {
    const { tenant, browser } = await signedIn();
    const res = await browser.post("/dashboard/endpoints/new", { _csrf: "", url: "https://example.com/hook" });
    expect(res.status).toBe(403);
    expect(await endpointCount(tenant.id)).toBe(0);
  });

  it("refuses the token of another browser's session", async () => {
    const { tenant, browser } = await signedIn();
    const other = await signedIn();
    const res = await browser.post("/dashboard/endpoints/new", { _csrf: other.browser.csrfToken, url: "https://example.com/hook" });
    expect(res.status).toBe(403);
    expect(await endpointCount(tenant.id)).toBe(0);
  });

  it("refuses a form posted from another site, even with a valid token", async () => {
    const { tenant, browser } = await signedIn();
    const res = await browser.post("/dashboard/endpoints/new", { url: "https://example.com/hook" }, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(await endpointCount(tenant.id)).toBe(0);
  });

  it("protects the sign-in form too (no login CSRF)", async () => {
    const tenant = await newTenant();
    const browser = new DashboardClient();
    const res = await browser.post("/dashboard/sign-in", { api_key: tenant.key });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie().some((c) => c.startsWith("__Host-edgehook_session="))).toBe(false);
  });
});

describe("tenant isolation", () => {
  it("another tenant's endpoint is 404 on every page, and its secret is not served", async () => {
    const owner = await newTenant();
    const endpoint = await newEndpoint(owner.id, { url: "https://example.com/owner" });
    const { browser } = await signedIn();
    for (const path of ["", "/edit", "/delete", "/secret", "?secret=shown"]) {
      const page = await browser.get(`/dashboard/endpoints/${endpoint.id}${path}`);
      expect(page.status, path).toBe(404);
      expect(page.html).not.toContain(endpoint.secret);
      expect(page.html).not.toContain("https://example.com/owner");
    }
  });

  it("another tenant's endpoint cannot be changed, rotated, tested or deleted", async () => {
    const owner = await newTenant();
    const endpoint = await newEndpoint(owner.id, { url: "https://example.com/owner", name: "Owner's" });
    const { browser } = await signedIn();
    const base = `/dashboard/endpoints/${endpoint.id}`;
    expect((await browser.post(`${base}/edit`, { url: "https://attacker.example/", name: "Mine" })).status).toBe(404);
    expect((await browser.post(`${base}/secret/rotate`, { grace_period_seconds: "0" })).status).toBe(404);
    expect((await browser.post(`${base}/test`)).status).toBe(404);
    expect((await browser.post(`${base}/delete`)).status).toBe(404);
    const after = await apiJson("GET", `/v1/tenants/${owner.id}/endpoints/${endpoint.id}`);
    expect(after.body).toMatchObject({ url: "https://example.com/owner", name: "Owner's" });
    expect((await apiJson("GET", `/v1/tenants/${owner.id}/endpoints/${endpoint.id}/secret`)).body.secret).toBe(endpoint.secret);
    expect((await apiJson("GET", `/v1/tenants/${owner.id}/deliveries`)).body.data).toEqual([]);
  });

  it("another tenant's delivery is 404 and cannot be replayed", async () => {
    const owner = await newTenant();
    const name = bucket();
    const endpoint = await newEndpoint(owner.id, { url: `${receiverUrl()}/status/500/${name}`, retry: { max_attempts: 1 } });
    const sent = await apiJson("POST", `/v1/tenants/${owner.id}/endpoints/${endpoint.id}/test`);
    const deliveryId = sent.body.deliveries[0].id;
    const failed = () => apiJson("GET", `/v1/tenants/${owner.id}/deliveries/${deliveryId}`);
    await eventually(async () => (await failed()).body.status === "failed");
    const { browser } = await signedIn();
    expect((await browser.get(`/dashboard/deliveries/${deliveryId}`)).status).toBe(404);
    expect((await browser.post(`/dashboard/deliveries/${deliveryId}/replay`)).status).toBe(404);
    expect((await failed()).body).toMatchObject({ status: "failed", attempt_count: 1 });
  });

  it("lists only the signed-in tenant's endpoints and deliveries", async () => {
    const owner = await newTenant();
    const endpoint = await newEndpoint(owner.id, { url: "https://example.com/owner", name: "Owner's endpoint" });
    await apiJson("POST", `/v1/tenants/${owner.id}/endpoints/${endpoint.id}/test`);
    const { browser } = await signedIn();
    expect(textOf((await browser.get("/dashboard")).html)).not.toContain("Owner's endpoint");
    expect((await browser.get("/dashboard/deliveries")).html).not.toContain(endpoint.id);
  });
});
