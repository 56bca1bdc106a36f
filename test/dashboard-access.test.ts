import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signPortalToken } from "../src/security/portal-token";
import { api, apiJson, newTenant } from "./support/api";
import { DashboardClient, textOf } from "./support/dashboard-client";

async function portalLink(tenantId: string, body?: unknown) {
  const res = await apiJson("POST", `/v1/tenants/${tenantId}/portal-links`, { body });
  if (res.status !== 201) throw new Error(`portal link: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { url: string; expires_at: string };
}

/** The path and query of a portal link, as the dashboard client requests it. */
const pathOf = (url: string) => url.slice("https://edgehook.test".length);

describe("POST /v1/tenants/{t}/portal-links", () => {
  it("returns a one-time dashboard link that expires in 15 minutes by default", async () => {
    const tenant = await newTenant();
    const before = Date.now();
    const link = await portalLink(tenant.id);
    expect(link.url).toMatch(/^https:\/\/edgehook\.test\/dashboard\/portal\?token=ehp_[\w-]+\.[\w-]+$/);
    const expires = Date.parse(link.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 900_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 900_000);
  });

  it("takes a shorter lifetime in ttl_seconds", async () => {
    const tenant = await newTenant();
    const link = await portalLink(tenant.id, { ttl_seconds: 60 });
    expect(Date.parse(link.expires_at)).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it("rejects a lifetime over an hour with the field's issue", async () => {
    const tenant = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${tenant.id}/portal-links`, { body: { ttl_seconds: 7200 } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.issues[0].path).toBe("ttl_seconds");
  });

  it("is for the admin token only: a tenant's own API key gets 403", async () => {
    const tenant = await newTenant();
    const res = await apiJson("POST", `/v1/tenants/${tenant.id}/portal-links`, { token: tenant.key });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
  });

  it("is 404 for a tenant that does not exist", async () => {
    const res = await apiJson("POST", "/v1/tenants/no-such-tenant/portal-links");
    expect(res.status).toBe(404);
  });

  it("is part of the OpenAPI document", async () => {
    const doc = await apiJson("GET", "/openapi.json");
    expect(doc.body.paths["/v1/tenants/{tenant_id}/portal-links"].post.responses["201"]).toBeDefined();
  });
});

describe("signing in with a portal link", () => {
  it("opens a session in the link's tenant, in an HttpOnly, Secure, SameSite=Strict __Host- cookie", async () => {
    const tenant = await newTenant();
    const browser = new DashboardClient();
    const landing = await browser.get(pathOf((await portalLink(tenant.id)).url));
    expect(landing.status).toBe(200);
    const res = await browser.post("/dashboard/portal", { token: /name="token" value="([^"]+)"/.exec(landing.html)![1]! });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-edgehook_session="))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
    const home = await browser.get("/dashboard");
    expect(home.status).toBe(200);
    expect(textOf(home.html)).toContain("Test tenant");
  });

  it("opening the link does not use it up; exchanging it does, once", async () => {
    const tenant = await newTenant();
    const { url } = await portalLink(tenant.id);
    const token = new URL(url).searchParams.get("token")!;
    const first = new DashboardClient();
    const second = new DashboardClient();
    await first.get(pathOf(url));
    await second.get(pathOf(url));
    expect((await first.post("/dashboard/portal", { token })).status).toBe(303);
    const reused = await second.post("/dashboard/portal", { token });
    expect(reused.status).toBe(400);
    expect(textOf(reused.html)).toContain("expired or was already used");
    expect(reused.headers.getSetCookie().some((c) => c.startsWith("__Host-edgehook_session="))).toBe(false);
  });

  it("refuses a link whose token was altered", async () => {
    const tenant = await newTenant();
    const { url } = await portalLink(tenant.id);
    const token = new URL(url).searchParams.get("token")!;
    const [payload, signature] = token.split(".") as [string, string];
    const forged = `${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
    const browser = new DashboardClient();
    const landing = await browser.get(`/dashboard/portal?token=${forged}`);
    expect(landing.status).toBe(400);
    expect(textOf(landing.html)).toContain("invalid or has expired");
    await browser.get("/dashboard/sign-in");
    const exchanged = await browser.post("/dashboard/portal", { token: forged });
    expect(exchanged.status).toBe(400);
    expect(exchanged.headers.getSetCookie().some((c) => c.startsWith("__Host-edgehook_session="))).toBe(false);
  });

  it("refuses a link past its expiry, even if unused", async () => {
    const tenant = await newTenant();
    const token = await signPortalToken(env.MASTER_KEY, { linkId: crypto.randomUUID(), tenantId: tenant.id, expiresAt: Date.now() - 1000 });
    const browser = new DashboardClient();
    await browser.get("/dashboard/sign-in");
    const res = await browser.post("/dashboard/portal", { token });
    expect(res.status).toBe(400);
    expect((await browser.get("/dashboard")).status).toBe(303);
  });
});

describe("signing in with an API key", () => {
  it("opens the tenant's dashboard", async () => {
    const tenant = await newTenant();
    const browser = new DashboardClient();
    const res = await browser.signIn(tenant.key);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard");
    expect((await browser.get("/dashboard")).status).toBe(200);
  });

  it("refuses an unknown key with 401 and no session", async () => {
    const browser = new DashboardClient();
    const res = await browser.signIn("ehk_not-a-real-key");
    expect(res.status).toBe(401);
    expect(textOf(res.html)).toContain("That API key is not valid");
    expect((await browser.get("/dashboard")).headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("sends visitors without a session to the sign-in page", async () => {
    const res = await new DashboardClient().get("/dashboard/deliveries");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("ends the session when its API key is revoked", async () => {
    const tenant = await newTenant();
    const keys = await apiJson("GET", `/v1/tenants/${tenant.id}/api-keys`);
    const browser = new DashboardClient();
    await browser.signIn(tenant.key);
    expect((await api("DELETE", `/v1/tenants/${tenant.id}/api-keys/${keys.body.data[0].id}`)).status).toBe(204);
    expect((await browser.get("/dashboard")).status).toBe(303);
  });

  it("signing out ends the session on the server, not only in the browser", async () => {
    const tenant = await newTenant();
    const browser = new DashboardClient();
    await browser.signIn(tenant.key);
    await browser.get("/dashboard");
    const stolen = new DashboardClient();
    stolen.cookies.set("__Host-edgehook_session", browser.cookies.get("__Host-edgehook_session")!);
    const res = await browser.post("/dashboard/sign-out");
    expect(res.status).toBe(303);
    expect(browser.cookies.has("__Host-edgehook_session")).toBe(false);
    expect((await stolen.get("/dashboard")).status).toBe(303);
  });
});
