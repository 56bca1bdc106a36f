import { isTransientD1Error, messagesOf } from "./db/transient";
import { SecretNotVisibleYet } from "./secrets";

/**
 * Platform failures that say nothing about the request: the same request later may well succeed,
 * so the API answers them with 503 and Retry-After (src/app.ts), never 500.
 *
 * - D1: src/db/transient.ts.
 * - KV: a binding call fails as "KV GET|PUT|DELETE failed: <status> <text>"; 429 is the documented
 *   limit of one write per second to a key (developers.cloudflare.com/kv/platform/limits/), 5xx an
 *   unavailable store.
 * - Queues: `send`/`sendBatch` fail as "Queue send failed: Too Many Requests" past the documented
 *   throughput, or "… Queue is overloaded. Please back off." (cloudflare/workerd#6053);
 *   developers.cloudflare.com/queues/reference/error-codes/ puts the reason at the end of the message.
 * - R2: "<operation>: <message> (<code>)"; codes 10001 (internal error) and 10058 (too many
 *   requests) are the ones R2 asks callers to retry (developers.cloudflare.com/r2/api/error-codes/).
 * - A secret set that KV does not show in this location yet (SecretNotVisibleYet).
 */
const KV = /KV (GET|PUT|DELETE|LIST) failed: (429|5\d\d)\b/;
const QUEUE = /Queue (send|sendBatch) failed: .*(Too Many Requests|overloaded)/i;
const R2 = /\((10001|10058)\)/;

/** What a 503 for a transient storage failure asks the client to wait (Retry-After, seconds): such failures pass within seconds. */
export const STORAGE_RETRY_AFTER_SECONDS = 1;

/** Whether `error` is a transient failure of D1, KV, Queues or R2. */
export function isTransientPlatformError(error: unknown): boolean {
  if (isTransientD1Error(error) || error instanceof SecretNotVisibleYet) return true;
  const text = messagesOf(error);
  return KV.test(text) || QUEUE.test(text) || R2.test(text);
}
