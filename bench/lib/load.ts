import autocannon from "autocannon";

/** How a fixed-duration load run went. */
export interface Throughput {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses that were not 2xx, and connection errors or timeouts. */
  non2xx: number;
  errors: number;
}

/** How a fixed-count burst of enqueue requests went. */
export interface Burst {
  /** Ids of the messages the API accepted (202). */
  acceptedIds: string[];
  /** Count of responses per status code (202 included). */
  statuses: Record<string, number>;
  errors: number;
  startedAt: number;
  endedAt: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

const CONNECTIONS = 10;

/** A JSON payload of exactly `bytes` bytes (padding after the given fields). */
export function payloadOf(bytes: number, fields: Record<string, number> = {}): string {
  const head = JSON.stringify({ ...fields, pad: "" });
  if (head.length > bytes) throw new Error(`a payload of ${bytes} bytes cannot hold ${head}`);
  return `${head.slice(0, -2)}${"x".repeat(bytes - head.length)}"}`;
}

/** Runs `seconds` of closed-loop load (CONNECTIONS clients, one request in flight each) against one request. */
export async function throughput(target: {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  seconds: number;
}): Promise<Throughput> {
  const result = await autocannon({
    url: target.url,
    method: target.method ?? "GET",
    headers: target.headers,
    body: target.body,
    connections: CONNECTIONS,
    duration: target.seconds,
    timeout: 30,
  });
  return {
    reqPerSec: Math.round(result.requests.total / (result.duration || target.seconds)),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/**
 * Sends `count` enqueue requests as fast as the API takes them (CONNECTIONS at a time), each
 * with a payload of `payloadBytes` that starts with the time it was sent and its sequence
 * number (or, when `payload` is given, its JSON text for that sequence number), and keeps the id
 * of every message accepted. Stops early after `maxSeconds`.
 */
export async function enqueueBurst(target: {
  url: string;
  headers: Record<string, string>;
  event: string;
  count: number;
  payloadBytes: number;
  maxSeconds: number;
  /** Requests per second across all connections; as fast as the API answers when absent. */
  ratePerSec?: number;
  /** The payload's JSON text for the n-th request (from 0), instead of the padded one. */
  payload?: (seq: number) => string;
}): Promise<Burst> {
  const acceptedIds: string[] = [];
  const statuses: Record<string, number> = {};
  let seq = 0;
  const startedAt = Date.now();
  let instance!: autocannon.Instance;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({
      url: target.url,
      connections: Math.min(CONNECTIONS, target.count),
      amount: target.count,
      overallRate: target.ratePerSec,
      timeout: 30,
      requests: [
        {
          method: "POST",
          headers: target.headers,
          setupRequest: (request) => {
            const payload = target.payload ? target.payload(seq++) : payloadOf(target.payloadBytes, { sent_at: Date.now(), seq: seq++ });
            return { ...request, body: `{"event":"${target.event}","payload":${payload}}` };
          },
          onResponse: (status, body) => {
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status === 202) acceptedIds.push((JSON.parse(body) as { id: string }).id);
          },
        },
      ],
    }, (error, result) => (error ? reject(error) : resolve(result)));
  });
  const cap = setTimeout(() => instance.stop(), target.maxSeconds * 1000);
  const result = await finished;
  clearTimeout(cap);
  const endedAt = Date.now();
  return {
    acceptedIds,
    statuses,
    errors: result.errors + result.timeouts,
    startedAt,
    endedAt,
    reqPerSec: Math.round((acceptedIds.length * 1000) / Math.max(1, endedAt - startedAt)),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}
