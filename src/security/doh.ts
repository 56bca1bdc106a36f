/**
 * A small DNS-over-HTTPS client for the target guard. Workers have no DNS API, so hostnames are
 * resolved through a DoH server's JSON interface (`GET ?name=…&type=A|AAAA` with
 * `accept: application/dns-json`), which Cloudflare (https://cloudflare-dns.com/dns-query) and
 * Google (https://dns.google/resolve) both serve. What this resolves is not necessarily what
 * `fetch` connects to a moment later (see SECURITY.md, "DNS rebinding").
 */
import { DOH_CACHE_MAX_TTL_SECONDS } from "../limits";

/** What a lookup came to: the A and AAAA addresses, a name that does not exist, or a failure. */
export type DohAnswer =
  | { kind: "addresses"; addresses: string[] }
  | { kind: "nxdomain" }
  | { kind: "error"; message: string };

interface DnsJson {
  Status?: unknown;
  Answer?: Array<{ type?: unknown; data?: unknown; TTL?: unknown }>;
}

type RecordAnswer = DohAnswer & { ttl?: number };

const RECORD_TYPES = { A: 1, AAAA: 28 } as const;
const NXDOMAIN = 3;
const CACHE_LIMIT = 1000;
const cache = new Map<string, { answer: DohAnswer; until: number }>();

async function lookup(
  host: string,
  type: keyof typeof RECORD_TYPES,
  dohUrl: string,
  timeoutMs: number,
  fetcher: typeof fetch,
): Promise<RecordAnswer> {
  const url = new URL(dohUrl);
  url.searchParams.set("name", host);
  url.searchParams.set("type", type);
  let body: DnsJson;
  try {
    const response = await fetcher(url, { headers: { accept: "application/dns-json" }, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { kind: "error", message: `DNS-over-HTTPS server answered ${response.status}` };
    body = await response.json();
  } catch (error) {
    return { kind: "error", message: `DNS-over-HTTPS request failed: ${(error as Error).message}` };
  }
  if (body.Status === NXDOMAIN) return { kind: "nxdomain" };
  if (body.Status !== 0) return { kind: "error", message: `DNS lookup of ${type} failed with status ${String(body.Status)}` };
  const records = (body.Answer ?? []).filter((r) => r.type === RECORD_TYPES[type]);
  if (records.some((r) => typeof r.data !== "string")) return { kind: "error", message: "malformed DNS-over-HTTPS answer" };
  const ttls = records.map((r) => (typeof r.TTL === "number" ? r.TTL : 0));
  return { kind: "addresses", addresses: records.map((r) => r.data as string), ttl: Math.min(...ttls) };
}

/**
 * Resolves a hostname's A and AAAA records through `dohUrl`. Any failure of either lookup is an
 * `error` (the guard fails closed); a name that exists for neither type is `nxdomain`. Answers
 * are reused in this isolate for their TTL, at most DOH_CACHE_MAX_TTL_SECONDS.
 */
export async function resolveHost(host: string, dohUrl: string, timeoutMs: number, fetcher: typeof fetch = fetch): Promise<DohAnswer> {
  const key = `${dohUrl} ${host}`;
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.answer;

  const [v4, v6] = await Promise.all([
    lookup(host, "A", dohUrl, timeoutMs, fetcher),
    lookup(host, "AAAA", dohUrl, timeoutMs, fetcher),
  ]);
  if (v4.kind === "error") return v4;
  if (v6.kind === "error") return v6;
  if (v4.kind === "nxdomain" && v6.kind === "nxdomain") return { kind: "nxdomain" };
  const found = [v4, v6].flatMap((a) => (a.kind === "addresses" ? [a] : []));
  const answer: DohAnswer = { kind: "addresses", addresses: found.flatMap((a) => a.addresses) };
  const ttl = Math.min(DOH_CACHE_MAX_TTL_SECONDS, ...found.map((a) => a.ttl ?? 0));
  if (ttl > 0 && answer.addresses.length > 0) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, { answer, until: Date.now() + ttl * 1000 });
  }
  return answer;
}
