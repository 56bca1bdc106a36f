/** How the client retries a call the relay could not take just then (429, 503) or that got no answer. */
export interface RetryOptions {
  /** Retries after the first attempt; 0 turns retrying off. Default 3. */
  retries?: number;
  /** Wait before the first retry when the relay names none, in ms; doubles with each retry. Default 500. */
  baseDelayMs?: number;
  /**
   * Longest wait before a retry, in ms. A Retry-After longer than this ends the retries: the call
   * fails with the relay's error (its `retryAfterSeconds` says how long the relay asked for). Default 20000.
   */
  maxDelayMs?: number;
}

/** RetryOptions with every default filled in. */
export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 20_000 };

/** Statuses with which the relay says it did nothing and a later attempt may succeed. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * Methods whose repetition changes nothing more than the first call did, so a call that got no answer
 * may be sent again. Edgehook's PATCH sets fields (it never adds to them), so it is among them.
 */
const REPEATABLE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"]);

/**
 * Whether a call that got no answer (network error, timeout) may be sent again: a repeatable method,
 * or a call whose Idempotency-Key the relay honours (an enqueue), which it answers with the first
 * response. A key on any other POST (a replay, a rotation) is ignored by the relay, so it is no guard.
 */
export function mayResend(method: string, keyHonoured: boolean): boolean {
  return keyHonoured || REPEATABLE_METHODS.has(method.toUpperCase());
}

// The three forms of an HTTP date (RFC 9110 §5.6.7), all in GMT. Matched before Date.parse, which
// reads almost anything ("in 10" is a day in 2001) and reads asctime in the local time zone.
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** An HTTP date in ms since the epoch, or NaN when `text` is not one. */
function httpDate(text: string): number {
  if (IMF_FIXDATE.test(text) || RFC850_DATE.test(text)) return Date.parse(text);
  return ASCTIME_DATE.test(text) ? Date.parse(`${text} GMT`) : Number.NaN;
}

/**
 * Seconds a Retry-After header asks for: delay-seconds or an HTTP date (RFC 9110 §10.2.3), never
 * negative; undefined when absent or unreadable. `now` is ms since the epoch.
 */
export function retryAfterSeconds(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const date = httpDate(text);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * How long to wait before retry number `retry` (1 for the first), in ms, or undefined to stop:
 * the relay's Retry-After when it sent one (stop when it is over `maxDelayMs`), else exponential
 * backoff from `baseDelayMs`, capped at `maxDelayMs`, with half of it random so that many clients
 * refused at once do not come back at once. `random` is in [0, 1).
 */
export function retryDelayMs(retry: number, retryAfter: number | undefined, policy: RetryPolicy, random: number): number | undefined {
  if (retry > policy.retries) return undefined;
  if (retryAfter !== undefined) {
    const asked = retryAfter * 1000;
    return asked > policy.maxDelayMs ? undefined : asked;
  }
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return backoff / 2 + (backoff / 2) * random;
}
