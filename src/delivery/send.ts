import type { AttemptOutcome } from "../schemas/messages";
import { sendableHeaders } from "../security/headers";
import { checkTarget, type TargetPolicy } from "../security/target-guard";
import { parseRetryAfter } from "./backoff";
import { explainNetworkError } from "./connection-probe";
import { signatureHeaders, type SignatureConfig } from "./signing";

/** Everything needed to make one delivery attempt. */
export interface SendRequest {
  url: string;
  messageId: string;
  body: string;
  headers: Record<string, string>;
  signature: SignatureConfig;
  secrets: string[];
  timeoutMs: number;
  policy: TargetPolicy;
  now: number;
}

/** What one attempt came to; the consumer alone decides ack, retry or give up from it. */
export interface SendResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  errorKind: "http_status" | "redirect" | "timeout" | "network" | "blocked_target" | "gone" | "secret_unavailable" | "payload_unavailable" | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
  /** Seconds the receiver asked us to wait (429/503 Retry-After), already capped. */
  retryAfterSeconds: number | null;
}

/** Bytes of the receiver's answer kept with an attempt. */
const RESPONSE_EXCERPT_BYTES = 1024;
/** The User-Agent of every delivery request (the README's receiver sample shows it). */
export const USER_AGENT = "Edgehook/1.0";

/** Reads at most `limit` bytes of a body as text and releases the rest. */
async function readExcerpt(response: Response, limit: number): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const all = new Uint8Array(Math.min(size, limit));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, all.length - offset);
    all.set(part, offset);
    offset += part.length;
    if (offset >= all.length) break;
  }
  return new TextDecoder().decode(all);
}

/**
 * Signs and POSTs one delivery: the target guard runs again first, redirects are never followed,
 * and the whole exchange (connect, headers, excerpt) is bounded by the endpoint's timeout.
 */
export async function send(req: SendRequest): Promise<SendResult> {
  const started = Date.now();
  const result = (partial: Partial<SendResult> & Pick<SendResult, "outcome">): SendResult => ({
    statusCode: null,
    errorKind: null,
    error: null,
    responseBody: null,
    retryAfterSeconds: null,
    durationMs: Date.now() - started,
    ...partial,
  });

  const blocked = await checkTarget(req.url, req.policy);
  if (blocked) {
    // A name that does not resolve right now may later, as after a network error; a refused target will not.
    const transient = blocked.code === "dns_unavailable" || blocked.code === "unresolvable_target";
    return result({ outcome: transient ? "retryable" : "permanent", errorKind: transient ? "network" : "blocked_target", error: blocked.message });
  }

  const timestamp = Math.floor(req.now / 1000);
  const headers = new Headers(sendableHeaders(req.headers));
  const system = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-id": req.messageId,
    "webhook-timestamp": String(timestamp),
    ...(await signatureHeaders(req.signature, req.secrets, req.messageId, timestamp, req.body)),
  };
  for (const [name, value] of Object.entries(system)) headers.set(name, value);

  const signal = AbortSignal.timeout(req.timeoutMs);
  try {
    const response = await fetch(req.url, { method: "POST", headers, body: req.body, redirect: "manual", signal });
    const responseBody = await readExcerpt(response, RESPONSE_EXCERPT_BYTES);
    const status = response.status;
    if (status >= 200 && status < 300) return result({ outcome: "ok", statusCode: status, responseBody });
    if (status === 410) {
      return result({ outcome: "permanent", statusCode: status, errorKind: "gone", error: "Receiver answered 410 Gone", responseBody });
    }
    const redirect = status >= 300 && status < 400;
    return result({
      outcome: "retryable",
      statusCode: status,
      errorKind: redirect ? "redirect" : "http_status",
      error: redirect ? `Redirect ${status} not followed` : `Receiver answered ${status}`,
      responseBody,
      retryAfterSeconds: status === 429 || status === 503 ? parseRetryAfter(response.headers.get("retry-after"), Date.now()) : null,
    });
  } catch (error) {
    const timedOut = signal.aborted;
    return result({
      outcome: "retryable",
      errorKind: timedOut ? "timeout" : "network",
      error: timedOut ? `No response within ${req.timeoutMs} ms` : await explainNetworkError(error, req.url),
    });
  }
}
