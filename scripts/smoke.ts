// `npm run smoke -- <url> <admin token> [--receiver URL] [--timeout SECONDS]`: after a deploy, checks
// the live relay end to end and says in words what failed. It creates a tenant, an endpoint, sends one
// message, waits (polling) until its delivery succeeded, and deletes the tenant again, whatever happened.
// The endpoint points at --receiver, which must answer 2xx (a deployed relay cannot reach this
// machine); without it the script starts a receiver on 127.0.0.1 (for a relay on this machine, e.g.
// `npm run dev`) and also checks the delivery's body and its Standard Webhooks signature.
import { parseArgs } from "node:util";
import "../tools/lib/webcrypto.ts";
import { startSink, type Delivery } from "../tools/receiver/sink.ts";
import { verifyWebhook } from "../src/verify/index.ts";

const USAGE = "Usage: npm run smoke -- <url> <admin token> [--receiver URL] [--timeout SECONDS]";

/** A smoke step that failed, in words a person reading the deploy log can act on. */
class SmokeFailure extends Error {}

interface Options {
  url: string;
  adminToken: string;
  receiver?: string;
  timeoutMs: number;
}

function parse(): Options {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { receiver: { type: "string" }, timeout: { type: "string", default: "60" } },
  });
  const timeout = Number(values.timeout);
  if (positionals.length !== 2 || !(timeout > 0)) throw new TypeError(USAGE);
  return { url: positionals[0]!.replace(/\/+$/, ""), adminToken: positionals[1]!, receiver: values.receiver, timeoutMs: timeout * 1000 };
}

/** Calls the relay; returns status and JSON body, or fails the step with what the relay said. */
async function call(options: Options, step: string, method: string, path: string, body?: unknown, expected = [200, 201, 202, 204]) {
  let res: Response;
  try {
    res = await fetch(`${options.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${options.adminToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new SmokeFailure(`${step}: the relay at ${options.url} could not be reached (${(error as Error).cause ?? (error as Error).message})`);
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as any) : null;
  if (!expected.includes(res.status)) {
    const said = json?.error ? `${json.error.code}: ${json.error.message}` : text.slice(0, 200);
    const hint = res.status === 401 ? " (is the admin token the Worker's ADMIN_TOKEN secret?)" : res.status === 503 ? " (storage is briefly unavailable; run the smoke test again)" : "";
    throw new SmokeFailure(`${step}: ${method} ${path} answered ${res.status} ${said}${hint}`);
  }
  return json;
}

/** Runs every step, printing one line each; the tenant is deleted at the end whatever happened. */
async function smoke(options: Options): Promise<void> {
  const say = (line: string) => console.log(`✓ ${line}`);
  await call(options, "health", "GET", "/health");
  say(`the relay answers at ${options.url}`);

  const received: Delivery[] = [];
  const sink = options.receiver ? null : await startSink({ host: "127.0.0.1", port: 0, verify: null, behaviour: { status: 200, failFirst: 0, failStatus: 500, delayMs: 0, rejectInvalid: false } }, (event) => {
    if (event.event === "delivery") received.push(event);
  });
  const receiverUrl = options.receiver ?? `${sink!.url}/smoke`;
  const tenantId = `smoke-${crypto.randomUUID().slice(0, 8)}`;
  let created = false;
  try {
    await call(options, "create tenant", "POST", "/v1/tenants", { id: tenantId, name: "Smoke test" });
    created = true;
    say(`tenant ${tenantId} created`);
    const endpoint = await call(options, "create endpoint", "POST", `/v1/tenants/${tenantId}/endpoints`, { url: receiverUrl });
    say(`endpoint ${endpoint.id} created for ${receiverUrl}`);
    const payload = { smoke: true, sent_at: new Date().toISOString() };
    const message = await call(options, "send message", "POST", `/v1/tenants/${tenantId}/messages`, { event: "smoke.test", payload });
    say(`message ${message.id} accepted`);

    const deadline = Date.now() + options.timeoutMs;
    let status = "pending";
    let lastError = "";
    while (Date.now() < deadline) {
      const polled = await call(options, "poll message", "GET", `/v1/tenants/${tenantId}/messages/${message.id}`);
      const delivery = polled.deliveries[0];
      status = delivery.status;
      lastError = delivery.last_error ?? (delivery.last_status_code ? `HTTP ${delivery.last_status_code}` : "");
      if (status === "succeeded" || status === "failed") break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    if (status !== "succeeded") {
      throw new SmokeFailure(
        `delivery: after ${options.timeoutMs / 1000} s its status is "${status}"${lastError ? ` (last attempt: ${lastError})` : ""}; ` +
          (status === "failed" ? "the receiver did not answer 2xx" : "the queue consumer has not delivered it (are the queues and their consumer deployed?)"),
      );
    }
    say("delivery succeeded");

    if (sink) {
      const [delivery] = received;
      if (!delivery) throw new SmokeFailure("delivery: the relay says it succeeded, but the local receiver got no request");
      if (JSON.stringify(JSON.parse(delivery.body)) !== JSON.stringify(payload)) throw new SmokeFailure(`delivery: the receiver got ${delivery.body}, not the payload sent`);
      try {
        await verifyWebhook(delivery.body, Object.fromEntries(delivery.headers.map(([k, v]) => [k.toLowerCase(), v])), { secret: endpoint.secret });
      } catch (error) {
        throw new SmokeFailure(`signature: the delivery's signature does not verify with the endpoint's secret (${(error as Error).message})`);
      }
      say("the receiver got the payload, and its signature verifies with the endpoint's secret");
    }
  } finally {
    await sink?.close();
    if (created) {
      await call(options, "clean up", "DELETE", `/v1/tenants/${tenantId}`, undefined, [204, 404]).then(
        () => say(`tenant ${tenantId} deleted`),
        (error: Error) => console.error(`✗ ${error.message}: delete tenant ${tenantId} by hand`),
      );
    }
  }
}

let options: Options;
try {
  options = parse();
} catch (error) {
  console.error(error instanceof TypeError ? USAGE : (error as Error).message);
  process.exit(2);
}
try {
  await smoke(options);
  console.log("Smoke test passed");
} catch (error) {
  if (!(error instanceof SmokeFailure)) throw error;
  console.error(`✗ ${error.message}`);
  console.error("Smoke test failed");
  process.exit(1);
}
