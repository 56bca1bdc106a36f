/**
 * Names what went wrong when a delivery request failed below HTTP: connection refused, DNS failure,
 * TLS failure, connection reset, or a connection lost after it was accepted. Pure: the platform's
 * error text and, where that text is ambiguous, what a connection probe found (src/delivery/connection-probe.ts).
 *
 * Why a probe: workerd's fetch() rejects with the one text "Network connection lost." for every
 * failure its HTTP client sees as a disconnect, a port where nothing listens included (workerd maps
 * all of kj's DISCONNECTED exceptions to that message: cloudflare/workerd#7195, and what `wrangler dev`
 * shows). The text alone cannot tell "nothing listens there" from "the receiver accepted and then
 * hung up", so only for that text does the caller try one TCP connection to the same host and port.
 */

/** What one TCP connection attempt to the receiver's host and port found. */
export type ProbeResult = "refused" | "accepted" | "unknown";

/** The message workerd's fetch() rejects with for any disconnect (refused, reset, closed early). */
const CONNECTION_LOST = /network connection lost/i;

/** Texts that name the failure by themselves, in the order they are tried. */
const KNOWN: { pattern: RegExp; text: (target: string, host: string) => string }[] = [
  {
    pattern: /\b(dns|name not resolved|name or service not known|getaddrinfo|lookup address|nxdomain|enotfound|could not resolve)\b/i,
    text: (_target, host) => `DNS failure: ${host} could not be resolved`,
  },
  { pattern: /\b(tls|ssl|certificate|handshake)\b/i, text: (target) => `TLS failure: no secure connection to ${target}` },
  { pattern: /\b(reset|econnreset)\b/i, text: (target) => `Connection reset by ${target}` },
  { pattern: /\b(refused|econnrefused|cannot connect to the specified address)\b/i, text: (target) => `Connection refused by ${target}` },
];

/** `host:port` of a URL, with the scheme's default port made explicit (`example.com:443`). */
export function hostAndPort(url: string): { host: string; port: number; target: string } {
  const parsed = new URL(url);
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
  return { host: parsed.hostname, port, target: `${parsed.hostname}:${port}` };
}

/** Whether an error text is workerd's catch-all disconnect, the one that needs a probe to name. */
export function needsProbe(message: string): boolean {
  return CONNECTION_LOST.test(message) && !KNOWN.some((k) => k.pattern.test(message));
}

/**
 * The attempt's error text for a request to `url` that failed with `message` (not a timeout: the
 * caller names those with the endpoint's timeout). `probe` is what a connection attempt found, for
 * the ambiguous "Network connection lost." only; null when none was made.
 * @returns e.g. `Connection refused by 127.0.0.1:9999 (nothing accepts connections there)`
 */
export function describeNetworkError(message: string, url: string, probe: ProbeResult | null): string {
  const { host, target } = hostAndPort(url);
  const known = KNOWN.find((k) => k.pattern.test(message));
  if (known) return known.text(target, host);
  if (CONNECTION_LOST.test(message)) {
    if (probe === "refused") return `Connection refused by ${target} (nothing accepts connections there)`;
    if (probe === "accepted") return `Connection to ${target} closed before the receiver answered (it accepts connections, then hung up)`;
    return `Connection to ${target} lost before the receiver answered`;
  }
  return `Network error reaching ${target}: ${message}`;
}
