import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { ADMIN, bucket, newEndpoint, newTenant, receiverUrl } from "./support/api";
import { DashboardClient, signedIn, textOf } from "./support/dashboard-client";
import { consume, enqueueHeld } from "./support/worker";

/** A dashboard client signed in with the admin token. */
async function operator() {
  const browser = new DashboardClient();
  const res = await browser.signIn(ADMIN);
  return { browser, res };
}

/** Loads `path` with `browser`'s cookies on a relay whose ADMIN_TOKEN is `adminToken`, as after a rotation. */
async function getWithAdminToken(browser: DashboardClient, path: string, adminToken: string): Promise<Response> {
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  const request = new Request(`https://edgehook.test${path}`, { headers: { cookie }, redirect: "manual" });
  return buildApp().fetch(request, { ...env, ADMIN_TOKEN: adminToken }, createExecutionContext());
}

/** A tenant whose endpoint's receiver answers 500, after one failed delivery (one attempt, so it is a dead letter). */
async function failingTenant() {
  const tenant = await newTenant();
  const endpoint = await newEndpoint(tenant.id, { url: `${receiverUrl()}/status/500/${bucket()}`, name: "Broken receiver", retry: { max_attempts: 1 } });
  const { message, tasks } = await enqueueHeld(tenant.id, { event: "document.predicted", payload: { n: 1 } });
  await consume(tasks);
  return { tenant, endpoint, deliveryId: message.deliveries[0]!.id };
}

describe("the operator view", () => {
  it("the admin token signs in to the operator view", async () => {
    const { browser, res } = await operator();
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/operator");
    const page = await browser.get("/dashboard/operator");
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toContain("Operator view");
  });

  it("its session cookie follows the tenant session's rules", async () => {
    const { res } = await operator();
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-edgehook_operator="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
  });

  it("lists another tenant's failing endpoint and its dead letter", async () => {
    const { tenant, endpoint, deliveryId } = await failingTenant();
    const { browser } = await operator();
    const html = (await browser.get("/dashboard/operator")).html;
    const row = new RegExp(`<tr data-endpoint-id="${endpoint.id}">[\\s\\S]*?</tr>`).exec(html)![0];
    expect(textOf(row)).toContain(tenant.id);
    expect(textOf(row)).toContain("Failing since");
    expect(html).toContain(`data-delivery-id="${deliveryId}"`);
  });

  it("shows a dead letter's last result as the delivery log does: the receiver's status code", async () => {
    const { deliveryId } = await failingTenant();
    const { browser } = await operator();
    const html = (await browser.get("/dashboard/operator")).html;
    const row = new RegExp(`<tr data-delivery-id="${deliveryId}">[\\s\\S]*?</tr>`).exec(html)![0];
    expect(textOf(row)).toContain("HTTP 500");
  });

  it("finds a delivery by id and names its tenant", async () => {
    const { tenant, deliveryId } = await failingTenant();
    const { browser } = await operator();
    const text = textOf((await browser.get(`/dashboard/operator?id=${deliveryId}`)).html);
    expect(text).toContain(`A delivery of tenant ${tenant.id}`);
  });

  it("does not claim a delivery its message never had", async () => {
    const { deliveryId } = await failingTenant();
    const { browser } = await operator();
    const text = textOf((await browser.get(`/dashboard/operator?id=${deliveryId.slice(0, -4)}0009`)).html);
    expect(text).toContain("No message or delivery has the id");
  });

  it("says so when no message or delivery has the id", async () => {
    const { browser } = await operator();
    const text = textOf((await browser.get("/dashboard/operator?id=01a237c9-b32e-7b95-9345-276ac1100001")).html);
    expect(text).toContain("No message or delivery has the id");
  });

  it("opens a tenant's own pages as its customers see them", async () => {
    const { endpoint } = await failingTenant();
    const { browser } = await operator();
    await browser.get("/dashboard/operator");
    const open = await browser.post(`/dashboard/operator/tenants/${endpoint.tenant_id}/open`, { next: `/dashboard/endpoints/${endpoint.id}` });
    expect(open.status).toBe(303);
    expect(open.headers.get("location")).toBe(`/dashboard/endpoints/${endpoint.id}`);
    const page = await browser.get(`/dashboard/endpoints/${endpoint.id}`);
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toContain("Broken receiver");
  });

  it("opening another tenant ends the tenant session the browser held, on the server too", async () => {
    const [first, second] = [await newTenant(), await newTenant()];
    const { browser } = await operator();
    await browser.get("/dashboard/operator");
    await browser.post(`/dashboard/operator/tenants/${first.id}/open`, { next: "/dashboard" });
    const firstCookie = browser.cookies.get("__Host-edgehook_session")!;
    await browser.get("/dashboard/operator");
    await browser.post(`/dashboard/operator/tenants/${second.id}/open`, { next: "/dashboard" });
    const replayed = new DashboardClient();
    replayed.cookies.set("__Host-edgehook_session", firstCookie);
    expect((await replayed.get("/dashboard/deliveries")).status).toBe(303);
  });

  it("an operator session alone does not open a tenant's pages", async () => {
    const { browser } = await operator();
    const res = await browser.get("/dashboard/deliveries");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("a tenant session cannot reach the operator view", async () => {
    const { browser } = await signedIn();
    const res = await browser.get("/dashboard/operator");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("a tenant session cannot open another tenant", async () => {
    const other = await newTenant();
    const { browser } = await signedIn();
    const res = await browser.post(`/dashboard/operator/tenants/${other.id}/open`, { next: "/dashboard" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("opening a tenant without the form's CSRF token is refused", async () => {
    const tenant = await newTenant();
    const { browser } = await operator();
    await browser.get("/dashboard/operator");
    expect((await browser.post(`/dashboard/operator/tenants/${tenant.id}/open`, { _csrf: "forged" })).status).toBe(403);
  });

  it("opening a tenant from another site is refused", async () => {
    const tenant = await newTenant();
    const { browser } = await operator();
    await browser.get("/dashboard/operator");
    expect((await browser.post(`/dashboard/operator/tenants/${tenant.id}/open`, {}, { origin: "https://evil.example" })).status).toBe(403);
  });

  it("signing out ends the operator session", async () => {
    const { browser } = await operator();
    await browser.get("/dashboard/operator");
    await browser.post("/dashboard/sign-out");
    expect((await browser.get("/dashboard/operator")).status).toBe(303);
  });

  it("an operator session ends when the admin token it was opened with is rotated", async () => {
    const { browser } = await operator();
    expect((await getWithAdminToken(browser, "/dashboard/operator", ADMIN)).status).toBe(200);
    const afterRotation = await getWithAdminToken(browser, "/dashboard/operator", "rotated-admin-token");
    expect(afterRotation.status).toBe(303);
    expect(afterRotation.headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("a tenant opened from the operator view closes no later than the operator session", async () => {
    const tenant = await newTenant();
    const { browser, res } = await operator();
    await browser.get("/dashboard/operator");
    const open = await browser.post(`/dashboard/operator/tenants/${tenant.id}/open`, { next: "/dashboard" });
    const maxAge = (name: string, page: { headers: Headers }) =>
      Number(/Max-Age=(\d+)/i.exec(page.headers.getSetCookie().findLast((c) => c.startsWith(`${name}=`))!)![1]);
    expect(maxAge("__Host-edgehook_session", open)).toBeLessThanOrEqual(maxAge("__Host-edgehook_operator", res));
  });

  it("a wrong token opens nothing", async () => {
    const browser = new DashboardClient();
    expect((await browser.signIn(`${ADMIN}x`)).status).toBe(401);
  });
});
