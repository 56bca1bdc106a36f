import { connect } from "cloudflare:sockets";
import { describeNetworkError, hostAndPort, needsProbe, type ProbeResult } from "./network-errors";

/** How long the probe may take at most (ms): a refusal comes back in one round trip. */
export const PROBE_TIMEOUT_MS = 1_000;

/**
 * Tries one TCP connection to `host:port` and closes it at once, to tell a refused connection from a
 * receiver that accepted and hung up. Runs only after a failed fetch, at most once per failed attempt,
 * and is one more outbound connection (Cloudflare counts each `connect()` like a subrequest against the
 * per-invocation limit). Never throws.
 * @param timeoutMs the most it waits for the connection to open (ms); slower counts as "unknown"
 */
export async function probeConnection(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<ProbeResult>((resolve) => (timer = setTimeout(() => resolve("unknown"), timeoutMs)));
  try {
    const socket = connect({ hostname: host, port });
    const opened = socket.opened.then(
      (): ProbeResult => "accepted",
      (error: Error): ProbeResult => (/cannot connect|refused/i.test(error.message) ? "refused" : "unknown"),
    );
    const result = await Promise.race([opened, timedOut]);
    socket.close().catch(() => undefined);
    return result;
  } catch {
    return "unknown";
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The attempt's error text for a delivery request to `url` whose fetch threw `error` (not a timeout),
 * probing the receiver's port only when the platform's text cannot say what happened
 * (src/delivery/network-errors.ts).
 */
export async function explainNetworkError(error: unknown, url: string): Promise<string> {
  const message = error instanceof Error ? error.message : String(error);
  if (!needsProbe(message)) return describeNetworkError(message, url, null);
  const { host, port } = hostAndPort(url);
  return describeNetworkError(message, url, await probeConnection(host, port));
}
