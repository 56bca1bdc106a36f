import { EdgehookError } from "./errors.ts";
import { DEFAULT_RETRY, mayResend, RETRYABLE_STATUSES, retryAfterSeconds, retryDelayMs, type RetryOptions } from "./retry.ts";

/** A `fetch` the client sends its requests with: the platform's own, or the caller's. */
export type Fetch = (request: Request) => Promise<Response>;

export interface TransportOptions {
  /** Sent as `Authorization: Bearer <apiKey>`: a tenant API key, or the admin token. */
  apiKey: string;
  fetch?: Fetch;
  /** Longest wait for one attempt's complete answer, in ms. Default 30000. */
  timeoutMs?: number;
  retry?: RetryOptions;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

const IDEMPOTENCY_KEY = "idempotency-key";

/**
 * Routes that create messages and honour an Idempotency-Key: a call to them always carries one (the
 * caller's, else one made here), so a retry after a lost answer never enqueues twice.
 */
const ENQUEUE_PATH = /\/v1\/tenants\/[^/]+\/messages(\/batch)?$/;

/** Waits `ms`; rejects with the signal's reason as soon as it aborts, so a caller's abort never waits out a Retry-After. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    }, ms);
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
  });
}

/**
 * The client's one way to the relay: adds the credentials (and an Idempotency-Key to enqueues that
 * have none), bounds each attempt by `timeoutMs`, and retries what the relay refused for now (429,
 * 503, honouring Retry-After) or what got no answer when sending it again is safe, with the same
 * Idempotency-Key on every attempt. Resolves to the last answer with its body read (so the timeout
 * covers it), whatever its status; rejects with an EdgehookError (`network_error`, `timeout`) when
 * the last attempt got no answer, or with the caller's abort reason when their signal aborts.
 */
export function createTransport(options: TransportOptions): Fetch {
  const send: Fetch = options.fetch ?? ((request) => globalThis.fetch(request));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  return async (request) => {
    const headers = new Headers(request.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${options.apiKey}`);
    const enqueue = request.method === "POST" && ENQUEUE_PATH.test(new URL(request.url).pathname);
    if (enqueue && !headers.has(IDEMPOTENCY_KEY)) headers.set(IDEMPOTENCY_KEY, crypto.randomUUID());
    // Read once: each attempt sends the same bytes.
    const body = request.body === null ? undefined : await request.arrayBuffer();
    const resendable = mayResend(request.method, enqueue);
    for (let retry = 1; ; retry++) {
      const attempt = new Request(request.url, { method: request.method, headers, body, redirect: request.redirect });
      const outcome = await attemptOnce(send, attempt, request.signal, timeoutMs);
      const retryAfter = outcome instanceof Response ? retryAfterSeconds(outcome.headers.get("retry-after"), Date.now()) : undefined;
      const retryable = outcome instanceof Response ? RETRYABLE_STATUSES.has(outcome.status) : resendable;
      const delay = retryable ? retryDelayMs(retry, retryAfter, policy, Math.random()) : undefined;
      if (delay === undefined) {
        if (outcome instanceof Response) return outcome;
        throw outcome;
      }
      await sleep(delay, request.signal);
    }
  };
}

/**
 * One attempt, its body read within `timeoutMs`: the answer, or the EdgehookError of no answer.
 * Rejects with the caller's abort reason when `callerSignal` aborts.
 */
async function attemptOnce(send: Fetch, attempt: Request, callerSignal: AbortSignal, timeoutMs: number): Promise<Response | EdgehookError> {
  const controller = new AbortController();
  const timedOut = new EdgehookError({ status: 0, code: "timeout", message: `The relay did not answer within ${timeoutMs} ms` });
  const timer = setTimeout(() => controller.abort(timedOut), timeoutMs);
  const forward = () => controller.abort(callerSignal.reason);
  if (callerSignal.aborted) forward();
  callerSignal.addEventListener("abort", forward, { once: true });
  try {
    const response = await send(new Request(attempt, { signal: controller.signal }));
    const answer = await response.arrayBuffer();
    // A status such as 204 must not carry a body, not even an empty one.
    return new Response(answer.byteLength === 0 ? null : answer, response);
  } catch (error) {
    if (callerSignal.aborted) throw callerSignal.reason;
    if (controller.signal.aborted) return timedOut;
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    return new EdgehookError({ status: 0, code: "network_error", message: `Cannot reach the relay at ${new URL(attempt.url).origin}: ${cause}`, cause: error });
  } finally {
    clearTimeout(timer);
    callerSignal.removeEventListener("abort", forward);
  }
}
