// Phase "faults" (issue 23): a ledger run with production's faults injected (KV 30 s behind, 3 % of
// D1, Queues, R2 and KV calls failing): every accepted message must reach its endpoint, none may
// fail, and no attempt may be counted because of a platform fault.

/** The fault mix of the production-semantics check, as EDGEHOOK_FAULTS text (CONTRACT.md). */
export const FAULT_SPEC = "kv_stale_seconds=30 d1_error_rate=0.03 queue_error_rate=0.03 r2_error_rate=0.03 kv_error_rate=0.03";
const MESSAGES = 150;
const ENDPOINTS = 3;
const DRAIN_CAP_SECONDS = 200;

export interface FaultsResult {
  spec: string;
  messages: number;
  deliveries: number;
  injected: { total: number } & Record<string, number>;
  delivered: number;
  /** Accepted deliveries neither delivered nor recorded as failed. */
  lost: number;
  /** Deliveries failed, plus attempts counted beyond the one that succeeded (the receiver always answers 200, so each is a platform fault's). */
  failed_by_platform: number;
}

type Relay = { url: string; adminToken: string };

/** Calls the relay, trying again on 503, 5xx or a network error (same body, same Idempotency-Key): what a careful client does. */
async function retried<T>(relay: Relay, method: string, path: string, body?: unknown, key?: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${relay.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch(() => null);
    if (res?.ok) return (await res.json()) as T;
    if (attempt >= 30 || (res && res.status < 500)) throw new Error(`${method} ${path}: ${res?.status} ${await res?.text()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every delivery of an endpoint as the listing shows it (status and attempt count). */
async function deliveriesOf(relay: Relay, tenantId: string, endpointId: string) {
  const rows: Array<{ status: string; attempt_count: number }> = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ endpoint_id: endpointId, limit: "100", ...(cursor ? { cursor } : {}) });
    const page: { data: typeof rows; next_cursor: string | null } = await retried(relay, "GET", `/v1/tenants/${tenantId}/deliveries?${query}`);
    rows.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return rows;
}

/** Runs the phase against a relay started with FAULT_SPEC; `receiverUrl` is bench/receiver.ts. */
export async function measureFaults(relay: Relay, receiverUrl: string, step: (text: string) => void): Promise<FaultsResult> {
  const tenant = await retried<{ id: string }>(relay, "POST", "/v1/tenants", { name: "bench-faults" });
  const endpoints: string[] = [];
  for (let i = 0; i < ENDPOINTS; i++) {
    const body = { url: `${receiverUrl}/ok/faults-${i}`, retry: { max_attempts: 2 } };
    endpoints.push((await retried<{ id: string }>(relay, "POST", `/v1/tenants/${tenant.id}/endpoints`, body)).id);
  }
  step(`faults: ${MESSAGES} messages to ${ENDPOINTS} endpoints allowing 2 attempts, under ${FAULT_SPEC}`);
  await Promise.all(
    Array.from({ length: MESSAGES }, (_, n) => retried(relay, "POST", `/v1/tenants/${tenant.id}/messages`, { event: "bench.faults", payload: { n } }, `faults-${n}`)),
  );
  const count = async (i: number) => ((await (await fetch(`${receiverUrl}/_count/faults-${i}`)).json()) as { delivered: number }).delivered;
  const deadline = Date.now() + DRAIN_CAP_SECONDS * 1000;
  while (Date.now() < deadline && (await Promise.all(endpoints.map((_, i) => count(i)))).some((n) => n < MESSAGES)) {
    // The sweeper re-arms deliveries whose queue send was refused (wrangler dev runs cron only when asked).
    await fetch(`${relay.url}/__scheduled`).catch(() => null);
    await new Promise((r) => setTimeout(r, 5_000));
  }
  const rows = (await Promise.all(endpoints.map((id) => deliveriesOf(relay, tenant.id, id)))).flat();
  const delivered = (await Promise.all(endpoints.map((_, i) => count(i)))).reduce((a, b) => a + b, 0);
  const failed = rows.filter((r) => r.status === "failed").length;
  const extraAttempts = rows.filter((r) => r.status === "succeeded").reduce((sum, r) => sum + Math.max(0, r.attempt_count - 1), 0);
  const injected = ((await (await fetch(`${relay.url}/__faults`)).json()) as { injected: Record<string, number> }).injected;
  return {
    spec: FAULT_SPEC,
    messages: MESSAGES,
    deliveries: MESSAGES * ENDPOINTS,
    injected: { ...injected, total: Object.values(injected).reduce((a, b) => a + b, 0) },
    delivered,
    lost: Math.max(0, MESSAGES * ENDPOINTS - delivered - failed),
    failed_by_platform: failed + extraAttempts,
  };
}

/** Where the phase's figures go in BENCHMARKS.md. */
export const FAULTS_SECTION = { marker: "bench-faults", heading: "Latest faults run" };

/** The BENCHMARKS.md section of the phase. */
export function renderFaults(r: FaultsResult): string {
  return [
    `A ledger run under \`EDGEHOOK_FAULTS="${r.spec}"\` (\`npm run bench -- --phase faults\`): ${r.messages} messages`,
    `to three endpoints allowing 2 attempts, the client retrying 503s with its Idempotency-Key.`,
    "",
    "| key | value |",
    "| --- | --- |",
    `| faults.injected.total | ${r.injected.total} (${Object.entries(r.injected).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${v}`).join(", ")}) |`,
    `| deliveries delivered | ${r.delivered} of ${r.deliveries} |`,
    `| faults.lost | ${r.lost} |`,
    `| faults.failed_by_platform | ${r.failed_by_platform} |`,
  ].join("\n");
}
