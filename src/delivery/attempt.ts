import { within } from "../lib/within";
import { PayloadStorageUnavailable, readPayload } from "../payloads";
import { activeSecrets, readSecretSet, SecretUnavailableError } from "../secrets";
import type { TargetPolicy } from "../security/target-guard";
import { ReadBudgetSpent, type BatchReads } from "./batch-reads";
import { SECRET_READ_BOUND_MS } from "./claim";
import type { Unreadable } from "./decide";
import { signingSecretOf, type DeliveryJob } from "./jobs";
import { send, type SendResult } from "./send";
import { signingKeysFor } from "./signing";

/**
 * One delivery attempt: the signing secret (bounded, src/delivery/claim.ts), the payload, then the
 * signed request (src/delivery/send.ts). Nothing unsigned and no wrong body is ever sent. A secret or
 * payload the platform cannot give yet (KV lag, a KV or R2 failure) is not an attempt: it comes back
 * as Unreadable, and src/delivery/decide.ts (platformFaultOf) decides how long the delivery waits.
 * One that can never work (a set that does not decrypt, no key for the scheme, a payload missing
 * from R2) fails the attempt without sending.
 */

/** A failed attempt that sent nothing (fail closed: never unsigned, never a wrong body); logged, retried like any failure. */
function unsent(job: DeliveryJob, log: string, errorKind: SendResult["errorKind"], error: string): SendResult {
  console.error(`delivery ${job.work.id}: ${log}`);
  return { outcome: "retryable", statusCode: null, errorKind, error, durationMs: 0, responseBody: null, retryAfterSeconds: null };
}

/** The active keys that sign `job` at `now`, an Unreadable when the platform cannot give them yet, or a failed attempt. */
async function signingKeys(env: Env, job: DeliveryJob, reads: BatchReads, now: number): Promise<string[] | Unreadable | SendResult> {
  const { owner } = signingSecretOf(job.work);
  let set;
  try {
    // Bounded like every step of a send, so a batch's lifetime stays bounded (src/delivery/claim.ts).
    const read = () => within(readSecretSet(env, owner, { cached: true }), SECRET_READ_BOUND_MS, "reading it timed out");
    set = await reads.secret(`${owner.kind}:${owner.id}:${owner.version}`, read);
  } catch (error) {
    if (error instanceof SecretUnavailableError) return unsent(job, `signing secret unavailable: ${error.message}`, "secret_unavailable", "Signing secret unavailable; nothing was sent");
    return { unreadable: "secret", missing: false, error: (error as Error).message };
  }
  if (!set) return { unreadable: "secret", missing: true, error: "no signing secret visible yet" };
  const keys = signingKeysFor(job.signature, activeSecrets(set, now));
  if (keys.length > 0) return keys;
  return unsent(job, `no stored key fits the ${job.signature.scheme} scheme`, "secret_unavailable", "Signing secret unavailable; nothing was sent");
}

/** Makes one attempt of `job` at `now` (epoch ms); never throws for a missing secret or payload. */
export async function attemptDelivery(env: Env, job: DeliveryJob, policy: TargetPolicy, now: number, reads: BatchReads): Promise<SendResult | Unreadable> {
  const secrets = await signingKeys(env, job, reads, now);
  if (!Array.isArray(secrets)) return secrets;
  let body: string;
  try {
    // A payload stored in the row costs no R2 read, so it spends none of the batch's budget.
    body = job.work.payload_r2 ? await reads.payload(job.work.message_id, () => readPayload(env, job.work)) : await readPayload(env, job.work);
  } catch (error) {
    const message = (error as Error).message;
    if (error instanceof PayloadStorageUnavailable || error instanceof ReadBudgetSpent) return { unreadable: "payload", missing: false, error: message };
    return unsent(job, `payload unreadable: ${message}`, "payload_unavailable", "Payload unavailable; nothing was sent");
  }
  return send({ url: job.url, messageId: job.work.message_id, body, headers: job.headers, signature: job.signature, secrets, timeoutMs: job.timeoutMs, policy, now });
}
