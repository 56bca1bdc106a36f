/**
 * A small DNS-over-HTTPS client for the target guard. Workers have no DNS API, so hostnames are
 * resolved through a DoH server's JSON interface (`GET ?name=…&type=A|AAAA` with
 * `accept: application/dns-json`), which Cloudflare (https://cloudflare-dns.com/dns-query) and
 * Google (https://dns.google/resolve) both serve. What this resolves is not necessarily what
 * `fetch` connects to a moment later (see SECURITY.md, "DNS rebinding").
 */
import { IsolateCache } from "../lib/isolate-cache";
import { DOH_CACHE_MAX_TTL_SECONDS } from "../limits";

/** What a lookup came to: the A and AAAA addresses, a name that does not exist, or a failure. */
export type DohAnswer =
  | { kind: "addresses"; addresses: string[] }
  | { kind: "nxdomain" }
  | { kind: "error"; message: string };

type RecordAnswer = DohAnswer & { ttl?: number };

const RECORD_TYPES = { A: 1, AAAA: 28 } as const;
const NXDOMAIN = 3;
/** Answers by `{dohUrl} {host}`, each kept for its own TTL. */
const cache = new IsolateCache<string, DohAnswer>({ ttlMs: DOH_CACHE_MAX_TTL_SECONDS * 1000, maxEntries: 1000, whenFull: "clear" });
const malformed: DohAnswer = { kind: "error", message: "malformed DNS-over-HTTPS answer" };

/** Reads a DNS JSON answer; anything not shaped like one is an error, never an empty answer. */
function parseAnswer(body: unknown, type: keyof typeof RECORD_TYPES): RecordAnswer {
  if (typeof body !== "object" || body === null) return malformed;
  const { Status, Answer } = body as { Status?: unknown; Answer?: unknown };
  if (Status === NXDOMAIN) return { kind: "nxdomain" };
  if (Status !== 0) return { kind: "error", message: `DNS lookup of ${type} records failed with status ${String(Status)}` };
  if (Answer !== undefined && !Array.isArray(Answer)) return malformed;
  const records = ((Answer ?? []) as unknown[]).filter(
    (r): r is { type: number; data: unknown; TTL?: unknown } => typeof r === "object" && r !== null && (r as { type?: unknown }).type === RECORD_TYPES[type],
  );
  if (records.some((r) => typeof r.data !== "string")) return malformed;
  const ttl = records.length > 0 ? Math.min(...records.map((r) => (typeof r.TTL === "number" ? r.TTL : 0))) : undefined;
  return { kind: "addresses", addresses: records.map((r) => r.data as string), ttl };
}

async function lookup(host: string, type: keyof typeof RECORD_TYPES, dohUrl: string, timeoutMs: number): Promise<RecordAnswer> {
  const url = new URL(dohUrl);
  url.searchParams.set("name", host);
  url.searchParams.set("type", type);
  try {
    const response = await fetch(url, { headers: { accept: "application/dns-json" }, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { kind: "error", message: `DNS-over-HTTPS server answered ${response.status}` };
    return parseAnswer(await response.json(), type);
  } catch (error) {
    return { kind: "error", message: `DNS-over-HTTPS request failed: ${(error as Error).message}` };
  }
}

/**
 * Resolves a hostname's A and AAAA records through `dohUrl`. Any failure of either lookup is an
 * `error` (the guard fails closed); a name that exists for neither type is `nxdomain`. Answers
 * are reused in this isolate for their TTL, at most DOH_CACHE_MAX_TTL_SECONDS.
 */
export async function resolveHost(host: string, dohUrl: string, timeoutMs: number): Promise<DohAnswer> {
  const key = `${dohUrl} ${host}`;
  const hit = cache.get(key);
  if (hit) return hit;

  const [v4, v6] = await Promise.all([
    lookup(host, "A", dohUrl, timeoutMs),
    lookup(host, "AAAA", dohUrl, timeoutMs),
  ]);
  if (v4.kind === "error") return v4;
  if (v6.kind === "error") return v6;
  if (v4.kind === "nxdomain" && v6.kind === "nxdomain") return { kind: "nxdomain" };
  const found = [v4, v6].flatMap((a) => (a.kind === "addresses" ? [a] : []));
  const answer: DohAnswer = { kind: "addresses", addresses: found.flatMap((a) => a.addresses) };
  const ttl = Math.min(DOH_CACHE_MAX_TTL_SECONDS, ...found.flatMap((a) => (a.ttl === undefined ? [] : [a.ttl])));
  if (ttl > 0 && answer.addresses.length > 0) cache.set(key, answer, { ttlMs: ttl * 1000 });
  return answer;
}
