import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/browser";
import { sharedRelay, type SharedRelay } from "./support/shared-relay";

// The page.evaluate bodies below run in the browser; this project's TypeScript has no DOM
// library, so the few browser globals they use are declared here.
interface ElementBox {
  textContent: string | null;
  scrollWidth: number;
  clientWidth: number;
  getBoundingClientRect(): { left: number; right: number };
  closest(selector: string): ElementBox | null;
}
declare const document: {
  getElementById(id: string): { textContent: string | null } | null;
  querySelector(selector: string): { value: string } | null;
  querySelectorAll(selector: string): Iterable<ElementBox>;
  documentElement: { scrollWidth: number };
};
declare const window: { innerWidth: number };
declare const navigator: { clipboard: { readText(): Promise<string>; writeText(text: string): Promise<void> } };

/** A webhook receiver on 127.0.0.1 whose answer per path can be changed while a test runs. */
interface Receiver {
  url: string;
  statusFor: Map<string, number>;
  received: Map<string, Array<{ headers: Record<string, string | string[] | undefined>; body: string }>>;
  server: Server;
}

async function startReceiver(): Promise<Receiver> {
  const statusFor = new Map<string, number>();
  const received: Receiver["received"] = new Map();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.set(path, [...(received.get(path) ?? []), { headers: req.headers, body: Buffer.concat(chunks).toString() }]);
      const status = statusFor.get(path) ?? 200;
      res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "thanks" : `receiver says ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, statusFor, received, server };
}

let relay: SharedRelay;
let browser: Browser;
let receiver: Receiver;

beforeAll(async () => {
  // Chromium first: when it is missing, fail at once with how to install it.
  browser = await launchChromium();
  [relay, receiver] = await Promise.all([sharedRelay(), startReceiver()]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  receiver?.server.close();
});

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(relay.url + path, {
    method,
    headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function newTenant(name: string) {
  const tenant = await admin("POST", "/v1/tenants", { name });
  const key = await admin("POST", `/v1/tenants/${tenant.body.id}/api-keys`, { name: "browser test" });
  return { id: tenant.body.id as string, key: key.body.key as string };
}

async function newEndpoint(tenantId: string, body: Record<string, unknown>) {
  const res = await admin("POST", `/v1/tenants/${tenantId}/endpoints`, body);
  if (res.status !== 201) throw new Error(`endpoint: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; secret: string };
}

/** A fresh browser context (own cookies) that may use the clipboard on the relay's origin. */
async function newContext(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: relay.url });
  return context;
}

async function signIn(context: BrowserContext, apiKey: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${relay.url}/dashboard/sign-in`);
  await page.getByLabel("API key").fill(apiKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${relay.url}/dashboard`);
  return page;
}

/**
 * Clicks a copy button and returns what landed on the clipboard, once the page has announced the
 * copy (a secret is fetched first, so the write finishes after the click).
 */
async function copyWith(page: Page, button: Locator, announcement: string): Promise<string> {
  await page.evaluate(() => navigator.clipboard.writeText(""));
  await button.click();
  await page.waitForFunction((text) => document.getElementById("announcer")?.textContent === text, announcement);
  return page.evaluate(() => navigator.clipboard.readText());
}

/** Reloads the page until `check` passes: the log is server-rendered, deliveries finish in the background. */
async function reloadUntil(page: Page, check: () => Promise<boolean>, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout} ms on ${page.url()}`);
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
}

const deliveryRows = (page: Page) => page.locator("table[data-testid=deliveries] tbody tr");

/**
 * Watches a page from now on: `outside` collects every request it makes beyond the relay (each is
 * refused, as offline), `errors` every console error (a CSP violation is one).
 */
async function watch(page: Page): Promise<{ outside: string[]; errors: string[] }> {
  const outside: string[] = [];
  const errors: string[] = [];
  await page.route("**/*", (route) => {
    if (route.request().url().startsWith(relay.url)) return route.continue();
    outside.push(route.request().url());
    return route.abort("internetdisconnected");
  });
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  return { outside, errors };
}

describe("the dashboard in Chromium", () => {
  it("signs in with an API key, shows the tenant, and signs out", async () => {
    const tenant = await newTenant("Sign-in Corp");
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await expect(page.locator(".tenant").textContent()).resolves.toBe("Sign-in Corp");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${relay.url}/dashboard/sign-in`);
    await expect(page.getByRole("status").first().textContent()).resolves.toContain("You are signed out");
    await page.goto(`${relay.url}/dashboard`);
    expect(page.url()).toBe(`${relay.url}/dashboard/sign-in`);
    await context.close();
  });

  it("opens from a one-time portal link, which then no longer works", async () => {
    const tenant = await newTenant("Portal Corp");
    const link = await admin("POST", `/v1/tenants/${tenant.id}/portal-links`, {});
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(link.body.url);
    await page.getByRole("button", { name: "Continue to the dashboard" }).click();
    await page.waitForURL(`${relay.url}/dashboard`);
    await expect(page.locator(".tenant").textContent()).resolves.toBe("Portal Corp");
    const again = await (await newContext()).newPage();
    await again.goto(link.body.url);
    await again.getByRole("button", { name: "Continue to the dashboard" }).click();
    await expect(again.getByRole("alert").textContent()).resolves.toContain("already used");
    await context.close();
    await again.context().close();
  });

  it("creates an endpoint and copies its id", async () => {
    const tenant = await newTenant("Create Corp");
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.getByRole("link", { name: "Add endpoint" }).first().click();
    await page.getByLabel("Name").fill("Invoices");
    await page.getByLabel("URL").fill(`${receiver.url}/create`);
    await page.getByLabel("Events").fill("document.*");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.waitForURL(/\/dashboard\/endpoints\/[0-9a-f-]{36}\?secret=shown/);
    const id = /endpoints\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    await expect(page.getByRole("status").first().textContent()).resolves.toContain("Endpoint created");

    await page.getByRole("link", { name: "Endpoints" }).first().click();
    const row = page.locator(`tr[data-endpoint-id="${id}"]`);
    await expect(row.textContent()).resolves.toContain("Invoices");
    await expect(copyWith(page, row.getByRole("button", { name: "Copy the id of Invoices" }), "Endpoint id copied")).resolves.toBe(id);

    const listed = await admin("GET", `/v1/tenants/${tenant.id}/endpoints`);
    expect(listed.body.data).toMatchObject([{ id, name: "Invoices", url: `${receiver.url}/create`, events: ["document.*"] }]);
    await context.close();
  });

  it("keeps the secret hidden until revealed, copies it, and regenerates it", async () => {
    const tenant = await newTenant("Secret Corp");
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/secret`, name: "Signed" });
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.goto(`${relay.url}/dashboard/endpoints/${endpoint.id}`);
    const shown = page.getByTestId("secret-value");
    await expect(shown.textContent()).resolves.not.toContain(endpoint.secret);

    await expect(copyWith(page, page.getByRole("button", { name: "Copy secret" }), "Secret copied")).resolves.toBe(endpoint.secret);

    await page.getByRole("link", { name: "Reveal secret" }).click();
    await expect(shown.textContent()).resolves.toBe(endpoint.secret);

    await page.getByLabel("After regenerating").selectOption({ label: "Stop signing with the old secret now" });
    await page.getByRole("button", { name: "Regenerate secret" }).click();
    await page.getByText("Signing secret regenerated.").waitFor();
    const rotated = await admin("GET", `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}/secret`);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(rotated.body.previous).toEqual([]);
    await expect(shown.textContent()).resolves.toBe(rotated.body.secret);
    await context.close();
  });

  it("creates an ed25519 endpoint, shows its public key openly, copies it and regenerates the key", async () => {
    const tenant = await newTenant("Ed25519 Corp");
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.getByRole("link", { name: "Add endpoint" }).first().click();
    await page.getByLabel("URL").fill(`${receiver.url}/ed25519`);
    await page.getByText("Signing, retries and headers").click();
    await page.getByLabel("Signature scheme").selectOption({ label: "Ed25519 public key (Standard Webhooks v1a)" });
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.getByText("Endpoint created. Its public key is below").waitFor();
    const id = /endpoints\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const created = await admin("GET", `/v1/tenants/${tenant.id}/endpoints/${id}`);
    expect(created.body.public_key).toMatch(/^whpk_/);
    await expect(page.getByTestId("public-key").textContent()).resolves.toBe(created.body.public_key);
    await expect(copyWith(page, page.getByRole("button", { name: "Copy public key" }), "Public key copied")).resolves.toBe(created.body.public_key);
    expect(await page.content()).not.toContain("whsk_");

    await page.getByRole("button", { name: "Regenerate key" }).click();
    await page.getByText("Signing key regenerated").waitFor();
    const rotated = await admin("GET", `/v1/tenants/${tenant.id}/endpoints/${id}`);
    expect(rotated.body.public_key).not.toBe(created.body.public_key);
    await expect(page.getByTestId("public-key").textContent()).resolves.toBe(rotated.body.public_key);
    await expect(page.getByText("The previous key still co-signs until").count()).resolves.toBe(1);
    await context.close();
  });

  it("sends a test event and shows it delivered in the endpoint's log", async () => {
    const tenant = await newTenant("Test Event Corp");
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/test-event`, name: "Receiver" });
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.goto(`${relay.url}/dashboard/endpoints/${endpoint.id}`);
    await page.getByRole("button", { name: "Send test event" }).click();
    await page.getByText("Test event sent.").waitFor();
    await reloadUntil(page, async () => (await deliveryRows(page).first().getAttribute("data-status")) === "succeeded");
    await expect(deliveryRows(page).first().textContent()).resolves.toContain("webhook.test");

    const [delivery] = receiver.received.get("/test-event")!;
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: "webhook.test", endpoint_id: endpoint.id });
    expect(delivery!.headers["webhook-signature"]).toMatch(/^v1,/);

    await deliveryRows(page).first().getByRole("link", { name: "Details" }).click();
    await expect(page.locator("table[data-testid=attempts] tbody").textContent()).resolves.toContain("HTTP 200");
    await context.close();
  });

  it("replays a failed delivery once the receiver works again", async () => {
    const tenant = await newTenant("Replay Corp");
    receiver.statusFor.set("/replay", 503);
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/replay`, name: "Flaky", retry: { max_attempts: 1 } });
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.goto(`${relay.url}/dashboard/endpoints/${endpoint.id}`);
    await page.getByRole("button", { name: "Send test event" }).click();
    await reloadUntil(page, async () => (await deliveryRows(page).first().getAttribute("data-status")) === "failed");

    await deliveryRows(page).first().getByRole("link", { name: "Details" }).click();
    const attempts = page.locator("table[data-testid=attempts] tbody tr");
    await expect(attempts.textContent()).resolves.toContain("HTTP 503");
    await expect(attempts.textContent()).resolves.toContain("receiver says 503");

    receiver.statusFor.set("/replay", 200);
    await page.getByRole("button", { name: "Replay delivery" }).click();
    await page.getByText("Delivery replayed").waitFor();
    await reloadUntil(page, async () => (await page.locator(".page-head .badge").textContent()) === "succeeded");
    await expect(attempts.count()).resolves.toBe(2);
    await expect(attempts.nth(1).textContent()).resolves.toContain("HTTP 200");
    await context.close();
  });

  it("deletes an endpoint after asking for confirmation", async () => {
    const tenant = await newTenant("Delete Corp");
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/delete`, name: "Doomed" });
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.getByRole("link", { name: "Delete Doomed" }).click();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Delete this endpoint?");
    expect((await admin("GET", `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}`)).status).toBe(200);
    await page.getByRole("button", { name: "Delete endpoint" }).click();
    await page.waitForURL(`${relay.url}/dashboard`);
    await expect(page.getByRole("status").first().textContent()).resolves.toContain("Endpoint deleted");
    await expect(page.locator(`tr[data-endpoint-id="${endpoint.id}"]`).count()).resolves.toBe(0);
    expect((await admin("GET", `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}`)).status).toBe(404);
    await context.close();
  });

  it("shows nothing of another tenant and refuses its actions", async () => {
    const owner = await newTenant("Owner Corp");
    const endpoint = await newEndpoint(owner.id, { url: `${receiver.url}/owner`, name: "Owner's endpoint" });
    const context = await newContext();
    const page = await signIn(context, (await newTenant("Intruder Corp")).key);
    const visit = await page.goto(`${relay.url}/dashboard/endpoints/${endpoint.id}?secret=shown`);
    expect(visit!.status()).toBe(404);
    await expect(page.content()).resolves.not.toContain(endpoint.secret);
    // A form the intruder builds in their own page, with their own valid CSRF token.
    const status = await page.evaluate(async (id) => {
      const token = document.querySelector("input[name=_csrf]")!.value;
      const res = await fetch(`/dashboard/endpoints/${id}/delete`, { method: "POST", body: new URLSearchParams({ _csrf: token }) });
      return res.status;
    }, endpoint.id);
    expect(status).toBe(404);
    expect((await admin("GET", `/v1/tenants/${owner.id}/endpoints/${endpoint.id}`)).status).toBe(200);
    await context.close();
  });

  it("runs every page under its Content-Security-Policy without violations, and fits a phone screen", async () => {
    const tenant = await newTenant("Strict Corp");
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/strict`, name: "Strict" });
    await admin("POST", `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}/test`);
    const deliveries = await admin("GET", `/v1/tenants/${tenant.id}/deliveries`);
    const context = await newContext({ width: 390, height: 844 });
    const page = await signIn(context, tenant.key);
    const violations: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") violations.push(message.text());
    });
    const paths = [
      "/dashboard",
      "/dashboard/endpoints/new",
      `/dashboard/endpoints/${endpoint.id}?secret=shown`,
      `/dashboard/endpoints/${endpoint.id}/edit`,
      `/dashboard/endpoints/${endpoint.id}/delete`,
      `/dashboard/endpoints/${endpoint.id}/test`,
      "/dashboard/deliveries",
      `/dashboard/deliveries/${deliveries.body.data[0].id}`,
      "/dashboard/event-types",
    ];
    for (const path of paths) {
      await page.goto(relay.url + path);
      // The script ran (it reveals the copy buttons), and nothing scrolls sideways.
      if (path.includes("secret=shown")) await expect(page.getByRole("button", { name: "Copy secret" }).isVisible()).resolves.toBe(true);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    expect(violations).toEqual([]);
    await context.close();
  });
});

describe("the event-type catalogue in Chromium", () => {
  /** Adds types to the relay's catalogue under a prefix no other test uses; returns the prefix. */
  async function catalogue(types: Array<Record<string, unknown> & { name: string }>): Promise<(name: string) => string> {
    const unique = Math.random().toString(36).slice(2, 8);
    const named = (name: string) => `${name.replace(/^([^.]+)/, `$1${unique}`)}`;
    for (const type of types) {
      const res = await admin("POST", "/v1/event-types", { description: "", ...type, name: named(type.name) });
      if (res.status !== 201) throw new Error(`event type: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return named;
  }

  it("the endpoint form offers the catalogue as checkboxes grouped by prefix, with descriptions, alongside free patterns", async () => {
    const named = await catalogue([
      { name: "invoice.paid", description: "An invoice was paid in full" },
      { name: "invoice.voided", description: "An invoice was cancelled", deprecated: true },
      { name: "shipment.created", description: "A parcel left the warehouse" },
    ]);
    const tenant = await newTenant("Catalogue Corp");
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.goto(`${relay.url}/dashboard/endpoints/new`);
    const invoices = page.getByRole("group", { name: named("invoice"), exact: true });
    await expect(invoices.getByRole("checkbox").evaluateAll((boxes) => boxes.map((b) => (b as unknown as { value: string }).value))).resolves.toEqual([
      named("invoice.paid"),
      named("invoice.voided"),
    ]);
    await expect(invoices.textContent()).resolves.toMatch(/An invoice was paid in full[\s\S]*Deprecated[\s\S]*An invoice was cancelled/);
    await expect(page.getByRole("group", { name: named("shipment"), exact: true }).textContent()).resolves.toContain("A parcel left the warehouse");

    await page.getByLabel("URL").fill(`${receiver.url}/catalogue`);
    await page.getByRole("checkbox", { name: named("invoice.paid") }).check();
    await page.getByRole("checkbox", { name: named("shipment.created") }).check();
    await page.getByLabel("Other events and patterns").fill("legacy.*");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.waitForURL(/\/dashboard\/endpoints\/[0-9a-f-]{36}\?secret=shown/);
    const id = /endpoints\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const created = await admin("GET", `/v1/tenants/${tenant.id}/endpoints/${id}`);
    expect(created.body.events).toEqual(["legacy.*", named("invoice.paid"), named("shipment.created")]);

    await page.goto(`${relay.url}/dashboard/endpoints/${id}/edit`);
    await expect(page.getByRole("checkbox", { name: named("invoice.paid") }).isChecked()).resolves.toBe(true);
    await expect(page.getByRole("checkbox", { name: named("invoice.voided") }).isChecked()).resolves.toBe(false);
    await expect(page.getByLabel("Other events and patterns").inputValue()).resolves.toBe("legacy.*");
    await page.getByRole("checkbox", { name: named("shipment.created") }).uncheck();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Endpoint saved.").waitFor();
    expect((await admin("GET", `/v1/tenants/${tenant.id}/endpoints/${id}`)).body.events).toEqual(["legacy.*", named("invoice.paid")]);
    await context.close();
  });

  it("the Event types page shows each type's description, schema and example", async () => {
    const schema = { type: "object", required: ["order_id"], properties: { order_id: { type: "string" } } };
    const named = await catalogue([{ name: "order.placed", description: "A customer placed an order", schema, example: { order_id: "ord_42" }, enforce: true }]);
    const tenant = await newTenant("Docs Corp");
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.getByRole("link", { name: "Event types" }).click();
    await page.waitForURL(`${relay.url}/dashboard/event-types`);
    const card = page.locator("article[data-testid=event-type]", { hasText: named("order.placed") });
    await expect(card.textContent()).resolves.toMatch(/Schema enforced[\s\S]*A customer placed an order/);
    expect(JSON.parse((await card.getByLabel(`Schema of ${named("order.placed")}`).textContent())!)).toEqual(schema);
    expect(JSON.parse((await card.getByLabel(`Example of ${named("order.placed")}`).textContent())!)).toEqual({ order_id: "ord_42" });
    await context.close();
  });

  it("the test-event form starts from the chosen type's example, and the receiver gets it", async () => {
    const example = { order_id: "ord_7", lines: [{ sku: "A-1", quantity: 2 }] };
    const named = await catalogue([
      { name: "order.shipped", description: "Shipped", example },
      { name: "order.refunded", description: "Refunded", example: { refund_id: "rf_1" } },
    ]);
    const tenant = await newTenant("Example Corp");
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/example`, events: [`${named("order")}.*`] });
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.goto(`${relay.url}/dashboard/endpoints/${endpoint.id}/test`);
    const payload = page.getByLabel("Payload");
    await expect(payload.inputValue()).resolves.toContain('"type": "webhook.test"');

    await page.getByLabel("Event type").selectOption(named("order.shipped"));
    await expect(payload.inputValue()).resolves.toBe(JSON.stringify(example, null, 2));
    await page.getByLabel("Event type").selectOption(named("order.refunded"));
    expect(JSON.parse(await payload.inputValue())).toEqual({ refund_id: "rf_1" });

    await payload.fill('{"edited": true}');
    await page.getByLabel("Event type").selectOption(named("order.shipped"));
    await expect(payload.inputValue()).resolves.toBe('{"edited": true}');

    await payload.fill(JSON.stringify(example, null, 2));
    await page.getByRole("button", { name: "Send test event" }).click();
    await page.getByText("Test event sent.").waitFor();
    await reloadUntil(page, async () => (receiver.received.get("/example") ?? []).length > 0);
    expect(JSON.parse(receiver.received.get("/example")![0]!.body)).toEqual(example);
    await context.close();
  });

  it("a test event whose payload breaks its type's enforced schema is refused on the form, naming the paths", async () => {
    const schema = { type: "object", required: ["order_id"], properties: { order_id: { type: "string" } } };
    const named = await catalogue([{ name: "order.held", description: "Held", schema, example: { order_id: "ord_1" }, enforce: true }]);
    const tenant = await newTenant("Enforced Corp");
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/enforced` });
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.goto(`${relay.url}/dashboard/endpoints/${endpoint.id}/test?event=${named("order.held")}`);
    await expect(page.getByLabel("Payload").inputValue()).resolves.toBe(JSON.stringify({ order_id: "ord_1" }, null, 2));
    await page.getByLabel("Payload").fill('{"order_id": 5}');
    await page.getByRole("button", { name: "Send test event" }).click();
    await expect(page.locator("#payload-error").textContent()).resolves.toContain('payload.order_id: Instance type "number" is invalid. Expected "string".');
    await context.close();
  });
});

describe("the delivery log's row actions", () => {
  /** Every row action of the delivery tables on the page that is clipped, cut off or outside the viewport, and any sideways scroll. */
  const clipped = (page: Page) =>
    page.evaluate(() => {
      const problems: string[] = [];
      for (const action of document.querySelectorAll("table[data-testid=deliveries] .row-buttons :is(a, button)")) {
        const box = action.getBoundingClientRect();
        const card = action.closest(".card")!.getBoundingClientRect();
        const name = (action.textContent ?? "").trim();
        if (box.left < card.left || box.right > card.right) problems.push(`${name}: outside its card (${box.left}–${box.right} of ${card.left}–${card.right})`);
        if (box.right > window.innerWidth) problems.push(`${name}: beyond the viewport`);
        if (action.scrollWidth > action.clientWidth) problems.push(`${name}: text cut off`);
      }
      const overflow = document.documentElement.scrollWidth - window.innerWidth;
      if (overflow > 0) problems.push(`page scrolls sideways by ${overflow}px`);
      return problems;
    });

  it("shows every action whole, without sideways scrolling, from phones to 1920 px wide", async () => {
    const tenant = await newTenant("Clipping Corporation With A Long Name");
    receiver.statusFor.set("/clip-failed", 500);
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/clip-failed`, name: "Invoice extraction results", retry: { max_attempts: 1 } });
    const failed = await admin("POST", `/v1/tenants/${tenant.id}/messages`, { event: "document.predicted", payload: { n: 1 }, endpoint_ids: [endpoint.id] });
    await admin("POST", `/v1/tenants/${tenant.id}/messages`, {
      event: "document.predicted.with.a.rather.long.event.name",
      payload: { n: 2 },
      webhook_url: `${receiver.url}/one-off/${"segment".repeat(12)}?query=${"value".repeat(10)}`,
    });
    const deliveryId = failed.body.deliveries[0].id;
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.goto(`${relay.url}/dashboard/deliveries`);
    await reloadUntil(page, async () => (await page.locator(`tr[data-delivery-id="${deliveryId}"]`).getAttribute("data-status")) === "failed");
    for (const width of [390, 1024, 1280, 1440, 1920]) {
      await page.setViewportSize({ width, height: 900 });
      for (const path of ["/dashboard/deliveries", `/dashboard/endpoints/${endpoint.id}`]) {
        await page.goto(relay.url + path);
        await expect(page.getByRole("button", { name: "Replay" }).first().isVisible()).resolves.toBe(true);
        expect(await clipped(page), `${path} at ${width}px`).toEqual([]);
      }
    }
    await context.close();
  });

  it("replays a row in place: the list stays, with the notice shown once", async () => {
    const tenant = await newTenant("In Place Corp");
    receiver.statusFor.set("/in-place", 500);
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/in-place`, name: "In place", retry: { max_attempts: 1 } });
    const sent = await admin("POST", `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}/test`);
    const deliveryId = sent.body.deliveries[0].id;
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.goto(`${relay.url}/dashboard/deliveries?status=failed`);
    await reloadUntil(page, async () => (await page.locator(`tr[data-delivery-id="${deliveryId}"]`).count()) === 1);
    receiver.statusFor.set("/in-place", 200);
    await page.locator(`tr[data-delivery-id="${deliveryId}"]`).getByRole("button", { name: "Replay" }).click();
    await page.getByText("Delivery replayed").waitFor();
    expect(page.url()).toBe(`${relay.url}/dashboard/deliveries?status=failed`);
    await page.reload();
    await expect(page.getByText("Delivery replayed").count()).resolves.toBe(0);
    await context.close();
  });
});

describe("the delivery page in Chromium", () => {
  it("copies the payload's exact text and shows the headers each attempt was sent with", async () => {
    const tenant = await newTenant("Payload Corp");
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/payload`, name: "Payloads", headers: { Authorization: "Bearer receiver-token" } });
    const res = await fetch(`${relay.url}/v1/tenants/${tenant.id}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
      body: '{"event":"document.predicted","payload":{"total":42.50,"items":[1,2]},"endpoint_ids":["' + endpoint.id + '"]}',
    });
    const deliveryId = ((await res.json()) as { deliveries: Array<{ id: string }> }).deliveries[0]!.id;
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    await page.goto(`${relay.url}/dashboard/deliveries/${deliveryId}`);
    await reloadUntil(page, async () => (await page.locator(".page-head .badge").textContent()) === "succeeded");
    await expect(page.getByTestId("payload").textContent()).resolves.toContain('"total": 42.50');
    await expect(copyWith(page, page.getByRole("button", { name: "Copy payload" }), "Payload copied")).resolves.toBe('{"total":42.50,"items":[1,2]}');
    await page.getByText("Request headers").first().click();
    const headers = page.locator("dl.headers").first();
    await expect(headers.textContent()).resolves.toContain("webhook-signature");
    await expect(headers.textContent()).resolves.not.toContain("receiver-token");
    await context.close();
  });
});

describe("the API reference page in Chromium", () => {
  it("renders every operation with nothing loaded from outside the relay, without console errors, and links to /openapi.json", async () => {
    const context = await newContext();
    const page = await context.newPage();
    const { outside, errors } = await watch(page);
    await page.goto(`${relay.url}/docs`);
    await expect(page.getByRole("heading", { name: "Edgehook API reference" }).isVisible()).resolves.toBe(true);
    await expect(page.locator("section.op h3").filter({ hasText: "/v1/tenants/{tenant_id}/messages" }).first().isVisible()).resolves.toBe(true);
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
    await page.getByRole("link", { name: "/openapi.json" }).first().click();
    await page.waitForURL(`${relay.url}/openapi.json`);
    await context.close();
  });

  it("opening the relay's root in a browser lands on the dashboard sign-in", async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${relay.url}/`);
    expect(page.url()).toBe(`${relay.url}/dashboard/sign-in`);
    await context.close();
  });
});

describe("the endpoint stats in Chromium", () => {
  it("an endpoint's stats chart shows its attempts, with success rate and latency beside it at 1920 px and under it at 390 px, with nothing from outside and no console errors", async () => {
    const tenant = await newTenant("Stats Corp");
    receiver.statusFor.set("/stats-chart", 500);
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/stats-chart`, name: "Charted receiver", retry: { max_attempts: 1 } });
    const send = () => admin("POST", `/v1/tenants/${tenant.id}/messages`, { event: "document.predicted", payload: {}, endpoint_ids: [endpoint.id] });
    const context = await newContext();
    const page = await signIn(context, tenant.key);
    const { outside, errors } = await watch(page);
    const words = page.locator("#endpoint-chart-words");
    await send();
    await page.goto(`${relay.url}/dashboard/endpoints/${endpoint.id}`);
    await reloadUntil(page, async () => (await words.textContent())!.includes("(0 of 1)"));
    receiver.statusFor.set("/stats-chart", 200);
    for (let i = 0; i < 3; i++) await send();
    await reloadUntil(page, async () => (await words.textContent())!.includes("(3 of 4)"));
    expect(receiver.received.get("/stats-chart")).toHaveLength(4);

    for (const width of [390, 1920]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${relay.url}/dashboard/endpoints/${endpoint.id}`);
      const chart = page.getByTestId("endpoint-chart-svg");
      await expect(chart.locator("g.bar").count()).resolves.toBe(24);
      await expect(chart.locator(".bar-bad").count()).resolves.toBe(1);
      await expect(words.textContent()).resolves.toMatch(/Success rate\s*75% \(3 of 4\).*Latency\s*about \d+ ms typical/s);
      const [bars, text] = [(await chart.boundingBox())!, (await words.boundingBox())!];
      expect(bars.width, `chart width at ${width}px`).toBeGreaterThanOrEqual(width === 390 ? 280 : 600);
      if (width === 390) expect(text.y, "words under the chart on a phone").toBeGreaterThanOrEqual(bars.y + bars.height);
      else expect(text.x, "words beside the chart on a wide screen").toBeGreaterThanOrEqual(bars.x + bars.width);
      await expect(page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).resolves.toBeLessThanOrEqual(0);
      await page.goto(`${relay.url}/dashboard`);
      await expect(page.locator(`tr[data-endpoint-id="${endpoint.id}"]`).textContent()).resolves.toContain("75% (3 of 4)");
    }
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("the operator view in Chromium", () => {
  it("the admin token signs in to the operator view, which shows a failing endpoint and opens its tenant's page, without console errors", async () => {
    const tenant = await newTenant("Failing Corp");
    receiver.statusFor.set("/down", 500);
    const endpoint = await newEndpoint(tenant.id, { url: `${receiver.url}/down`, name: "Down receiver", retry: { max_attempts: 1 } });
    await admin("POST", `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}/test`);
    const context = await newContext({ width: 390, height: 844 });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`${relay.url}/dashboard/sign-in`);
    await page.getByLabel("API key").fill(relay.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${relay.url}/dashboard/operator`);
    const row = page.locator(`tr[data-endpoint-id="${endpoint.id}"]`);
    await reloadUntil(page, () => row.isVisible());
    await expect(row.textContent()).resolves.toContain("Failing since");
    await row.getByRole("button", { name: "Open" }).click();
    await page.waitForURL(`${relay.url}/dashboard/endpoints/${endpoint.id}`);
    await expect(page.getByRole("heading", { name: "Down receiver" }).isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});
