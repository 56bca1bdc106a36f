// Phase "faults" (issue 23): a ledger run with production's faults injected (KV 30 s behind, 3 % of
// D1, Queues, R2 and KV calls failing): every accepted message must reach its endpoint, none may
// fail, and no attempt may be counted because of a platform fault. Every kind must meet calls to
// fail: each payload is large enough to live in R2 (written at enqueue, read per consumer batch),
// and each consumer invocation reads the secrets from KV as a fresh isolate would (bench/worker.ts).
// Every endpoint's secret is rotated with no grace after the enqueue and again during the drain, as
// the production-semantics check does: KV writes, and new versioned keys that lag their writes.
import { randomBytes } from "node:crypto";

/** The fault mix of the production-semantics check, as EDGEHOOK_FAULTS text (CONTRACT.md). */
export const FAULT_SPEC = "kv_stale_seconds=30 d1_error_rate=0.03 queue_error_rate=0.03 r2_error_rate=0.03 kv_error_rate=0.03";
const MESSAGES = 150;
const ENDPOINTS = 3;
const DRAIN_CAP_SECONDS = 200;
/** Seconds into the drain at which every endpoint's secret is rotated a second time (the first is right after enqueue). */
const SECOND_ROTATION_SECONDS = 40;
/**
 * Random bytes per payload: as base64 text (12,000 characters) they compress to ~9 KB, over the
 * relay's 8 KiB R2_PAYLOAD_THRESHOLD_BYTES (src/limits.ts), so every message's payload is in R2.
 */
const PAYLOAD_RANDOM_BYTES = 9_000;

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

/**
 * Injected-fault counts summed over the relay's isolates: `GET /__faults` answers one isolate's
 * counts, and wrangler dev starts a fresh isolate (counting from 0) when a source file changes
 * during the run. A count lower than the one seen before means such a restart.
 */
function faultTally(relay: Relay) {
  const finished: Record<string, number> = {};
  let last: Record<string, number> = {};
  return {
    async observe(): Promise<void> {
      const res = await fetch(`${relay.url}/__faults`).catch(() => null);
      if (!res?.ok) return;
      const now = ((await res.json()) as { injected: Record<string, number> }).injected;
      if (Object.entries(now).some(([kind, n]) => n < (last[kind] ?? 0))) {
        for (const [kind, n] of Object.entries(last)) finished[kind] = (finished[kind] ?? 0) + n;
      }
      last = now;
    },
    counts(): Record<string, number> {
      return Object.fromEntries(Object.keys({ ...finished, ...last }).map((kind) => [kind, (finished[kind] ?? 0) + (last[kind] ?? 0)]));
    },
  };
}

/** Runs the phase against a relay started with FAULT_SPEC; `receiverUrl` is bench/receiver.ts. */
export async function measureFaults(relay: Relay, receiverUrl: string, step: (text: string) => void): Promise<FaultsResult> {
  const tenant = await retried<{ id: string }>(relay, "POST", "/v1/tenants", { name: "bench-faults" });
  const endpoints: string[] = [];
  for (let i = 0; i < ENDPOINTS; i++) {
    const body = { url: `${receiverUrl}/ok/faults-${i}`, retry: { max_attempts: 2 } };
    endpoints.push((await retried<{ id: string }>(relay, "POST", `/v1/tenants/${tenant.id}/endpoints`, body)).id);
  }
  step(`faults: ${MESSAGES} messages (payloads in R2) to ${ENDPOINTS} endpoints allowing 2 attempts, under ${FAULT_SPEC}`);
  const tally = faultTally(relay);
  await tally.observe();
  await Promise.all(
    Array.from({ length: MESSAGES }, (_, n) => {
      const payload = { n, blob: randomBytes(PAYLOAD_RANDOM_BYTES).toString("base64") };
      return retried(relay, "POST", `/v1/tenants/${tenant.id}/messages`, { event: "bench.faults", payload }, `faults-${n}`);
    }),
  );
  const rotateAll = () => Promise.all(endpoints.map((id) => retried(relay, "POST", `/v1/tenants/${tenant.id}/endpoints/${id}/secret/rotate`, { grace_period_seconds: 0 })));
  await rotateAll();
  const count = async (i: number) => ((await (await fetch(`${receiverUrl}/_count/faults-${i}`)).json()) as { delivered: number }).delivered;
  const started = Date.now();
  const deadline = started + DRAIN_CAP_SECONDS * 1000;
  let rotatedAgain = false;
  while (Date.now() < deadline && (await Promise.all(endpoints.map((_, i) => count(i)))).some((n) => n < MESSAGES)) {
    await tally.observe();
    if (!rotatedAgain && Date.now() - started > SECOND_ROTATION_SECONDS * 1000) {
      rotatedAgain = true;
      await rotateAll();
    }
    // The sweeper re-arms deliveries whose queue send was refused (wrangler dev runs cron only when asked).
    await fetch(`${relay.url}/__scheduled`).catch(() => null);
    await new Promise((r) => setTimeout(r, 5_000));
  }
  const rows = (await Promise.all(endpoints.map((id) => deliveriesOf(relay, tenant.id, id)))).flat();
  const delivered = (await Promise.all(endpoints.map((_, i) => count(i)))).reduce((a, b) => a + b, 0);
  const failed = rows.filter((r) => r.status === "failed").length;
  const extraAttempts = rows.filter((r) => r.status === "succeeded").reduce((sum, r) => sum + Math.max(0, r.attempt_count - 1), 0);
  await tally.observe();
  const injected = tally.counts();
  step(`faults: injected ${Object.entries(injected).map(([kind, n]) => `${kind} ${n}`).join(", ")}`);
  const spared = Object.entries(injected).filter(([, n]) => n === 0).map(([kind]) => kind);
  if (spared.length > 0) step(`faults: WARNING, nothing of ${spared.join(", ")} was injected: the run did not meet every fault it claims`);
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
    `(payloads stored in R2) to three endpoints allowing 2 attempts, the client retrying 503s with its Idempotency-Key;`,
    `each consumer invocation reads the secrets from KV as a fresh isolate would, and every endpoint's secret is rotated with no grace twice.`,
    "",
    "| key | value |",
    "| --- | --- |",
    `| faults.injected.total | ${r.injected.total} (${Object.entries(r.injected).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${v}`).join(", ")}) |`,
    `| deliveries delivered | ${r.delivered} of ${r.deliveries} |`,
    `| faults.lost | ${r.lost} |`,
    `| faults.failed_by_platform | ${r.failed_by_platform} |`,
  ].join("\n");
}
