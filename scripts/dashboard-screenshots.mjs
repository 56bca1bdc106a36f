// Takes the dashboard screenshots in docs/screenshots/: every page at desktop width (whole page)
// and on a phone (first screen). Starts the relay under `wrangler dev`, fills one tenant with
// endpoints and deliveries through the API, and photographs the pages in headless Chromium.
// Run with `npm run screenshots`.
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { launchChromium } from "../test/node/support/browser.ts";
import { startRelay } from "./local-relay.ts";

const OUT = path.resolve(import.meta.dirname, "../docs/screenshots");
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

/** A receiver: /ok/* answers 200, /fail/* 503 with a short body. */
async function startReceiver() {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url?.startsWith("/fail")) res.writeHead(503, { "content-type": "text/plain" }).end("upstream ERP is down for maintenance");
      else res.writeHead(200, { "content-type": "application/json" }).end('{"received":true}');
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://localhost:${server.address().port}`, close: () => server.close() };
}

const relay = await startRelay();
const receiver = await startReceiver();
const browser = await launchChromium();
try {
  const call = async (method, route, body, expected) => {
    const res = await fetch(relay.url + route, {
      method,
      headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status !== expected) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const tenant = await call("POST", "/v1/tenants", { name: "Acme Document AI", id: "acme" }, 201);
  const t = `/v1/tenants/${tenant.id}`;
  const { key } = await call("POST", `${t}/api-keys`, { name: "screenshots" }, 201);
  const invoices = await call("POST", `${t}/endpoints`, {
    name: "Invoice processing", url: `${receiver.url}/ok/invoices`, events: ["document.*"], source: "invoices-v4",
    description: "Posts each predicted invoice to our accounting import.",
  }, 201);
  const slack = await call("POST", `${t}/endpoints`, {
    name: "Slack alerts", url: `${receiver.url}/ok/slack`, events: ["job.failed"],
    signature: { scheme: "hmac-sha256", header: "X-Hub-Signature-256", prefix: "sha256=" },
  }, 201);
  const erp = await call("POST", `${t}/endpoints`, {
    name: "Legacy ERP", url: `${receiver.url}/fail/erp`, events: ["document.predicted"], retry: { max_attempts: 2, schedule: [1] },
  }, 201);
  await call("POST", `${t}/endpoints`, { name: "Staging mirror", url: `${receiver.url}/ok/staging`, enabled: false }, 201);
  for (let i = 0; i < 12; i++) {
    await call("POST", `${t}/messages`, { event: "document.predicted", source: "invoices-v4", payload: { document_id: `doc_${i}` } }, 202);
  }
  await call("POST", `${t}/messages`, { event: "job.failed", payload: { job_id: "job_17", reason: "timeout" } }, 202);
  // Let every delivery reach its final state (the ERP's two attempts are 1 s apart).
  for (let tries = 0; ; tries++) {
    const pending = await call("GET", `${t}/deliveries?status=pending&limit=100`, undefined, 200);
    const retrying = await call("GET", `${t}/deliveries?status=retrying&limit=100`, undefined, 200);
    if (pending.data.length + retrying.data.length === 0) break;
    if (tries > 120) throw new Error("deliveries did not settle");
    await new Promise((r) => setTimeout(r, 500));
  }
  const failed = await call("GET", `${t}/deliveries?status=failed&endpoint_id=${erp.id}&limit=1`, undefined, 200);
  const portal = await call("POST", `${t}/portal-links`, {}, 201);

  mkdirSync(OUT, { recursive: true });
  for (const [device, viewport] of Object.entries(VIEWPORTS)) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: device === "phone" ? 2 : 1, colorScheme: "light" });
    const page = await context.newPage();
    const shoot = async (name) => {
      await page.screenshot({ path: path.join(OUT, `${name}-${device}.png`), fullPage: device === "desktop" });
      console.log(`docs/screenshots/${name}-${device}.png`);
    };
    await page.goto(portal.url);
    await shoot("portal-link");
    await page.goto(`${relay.url}/dashboard/sign-in`);
    await shoot("sign-in");
    await page.fill("#api_key", key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${relay.url}/dashboard`);
    await shoot("endpoints");
    await page.goto(`${relay.url}/dashboard/endpoints/new`);
    await page.fill("#name", "Orders");
    await page.fill("#url", "ftp://example.com/hooks");
    await page.fill("#events", "order.created, bad event");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await shoot("endpoint-form-errors");
    await page.goto(`${relay.url}/dashboard/endpoints/${invoices.id}?secret=shown#secret`);
    await shoot("endpoint");
    await page.goto(`${relay.url}/dashboard/endpoints/${slack.id}/edit`);
    await shoot("endpoint-edit");
    await page.goto(`${relay.url}/dashboard/endpoints/${erp.id}/delete`);
    await shoot("endpoint-delete");
    await page.goto(`${relay.url}/dashboard/deliveries`);
    await shoot("deliveries");
    await page.goto(`${relay.url}/dashboard/deliveries/${failed.data[0].id}`);
    await shoot("delivery");
    await context.close();
  }
} finally {
  await browser.close();
  receiver.close();
  await relay.stop();
}
