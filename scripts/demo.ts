// `npm run demo [-- --url URL --token TOKEN --exit]`: against a running relay (`npm run dev`), seeds
// a tenant `demo`, a local receiver and an endpoint pointing at it, sends one message, waits until
// the receiver got it, and prints a one-time dashboard link for the tenant. The receiver keeps
// listening (so the dashboard's test events arrive) until Ctrl-C, or stops at once with --exit.
import "../tools/lib/webcrypto.ts";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { formatEvent } from "../tools/receiver/format.ts";
import { startSink } from "../tools/receiver/sink.ts";

const TENANT = "demo";
const ENDPOINT_NAME = "Demo receiver";
/** How long the first delivery may take: a new endpoint's first delivery takes the slow lane (ms). */
const DELIVERY_TIMEOUT_MS = 60_000;
/** How long the printed dashboard link stays valid (s). */
const LINK_TTL_SECONDS = 900;

const { values: flags } = parseArgs({
  options: {
    url: { type: "string", default: process.env.EDGEHOOK_URL ?? "http://localhost:8787" },
    token: { type: "string", default: process.env.EDGEHOOK_TOKEN ?? "dev-admin-token" },
    exit: { type: "boolean", default: false },
  },
});
const relay = flags.url.replace(/\/$/, "");

/** Calls the relay's API with the admin token; returns the parsed body. @throws Error when the status is not one of `ok`. */
async function call(method: string, route: string, body?: unknown, ok = [200, 201, 202, 204]): Promise<any> {
  let res: Response;
  try {
    res = await fetch(relay + route, {
      method,
      headers: { authorization: `Bearer ${flags.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error(`No relay answers at ${relay}: start it with \`npm run dev\` (or pass --url)`);
  }
  const text = await res.text();
  if (!ok.includes(res.status)) throw new Error(`${method} ${route} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

try {
  await call("POST", "/v1/tenants", { id: TENANT, name: "Demo tenant" }, [201, 409]);
  // Endpoints of an earlier demo point at receivers that are gone.
  const { data: endpoints } = await call("GET", `/v1/tenants/${TENANT}/endpoints?limit=100`);
  for (const old of endpoints.filter((e: { name: string | null }) => e.name === ENDPOINT_NAME)) {
    await call("DELETE", `/v1/tenants/${TENANT}/endpoints/${old.id}`);
  }

  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const sink = await startSink(
    { host: "127.0.0.1", port: 0, verify: { secret }, behaviour: { status: 200, failFirst: 0, failStatus: 500, delayMs: 0, rejectInvalid: false } },
    (event) => process.stdout.write(formatEvent(event)),
  );
  const port = new URL(sink.url).port;
  const endpoint = await call("POST", `/v1/tenants/${TENANT}/endpoints`, { url: `http://localhost:${port}/webhooks`, name: ENDPOINT_NAME, secret });
  console.log(`Tenant "${TENANT}", endpoint ${endpoint.id} → a receiver on http://localhost:${port}/webhooks\n`);

  const message = await call("POST", `/v1/tenants/${TENANT}/messages`, {
    event: "invoice.paid",
    payload: { invoice_id: "inv_demo_1", amount: 42.5, currency: "EUR" },
  });
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  let status = "pending";
  while (status !== "succeeded" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    status = (await call("GET", `/v1/tenants/${TENANT}/messages/${message.id}`)).deliveries[0]?.status ?? "pending";
  }
  if (status !== "succeeded") throw new Error(`message ${message.id} was not delivered within ${DELIVERY_TIMEOUT_MS / 1000} s (status: ${status})`);

  const link = await call("POST", `/v1/tenants/${TENANT}/portal-links`, { ttl_seconds: LINK_TTL_SECONDS });
  console.log(`Delivered message ${message.id}.`);
  console.log(`Dashboard for tenant "${TENANT}" (a one-time sign-in link, valid ${LINK_TTL_SECONDS / 60} min):\n  ${link.url}`);
  if (flags.exit) {
    await sink.close();
  } else {
    console.log("\nThe receiver keeps listening, so test events sent from the dashboard arrive here; Ctrl-C stops it.");
    const stop = () => void sink.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  }
} catch (error) {
  console.error(`npm run demo: ${(error as Error).message}`);
  process.exit(1);
}
