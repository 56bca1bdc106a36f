import { within } from "../lib/within";
import { readPayload } from "../payloads";
import { activeSecrets, readSecretSet, type SecretOwner } from "../secrets";
import type { TargetPolicy } from "../security/target-guard";
import { SECRET_READ_BOUND_MS } from "./claim";
import type { DeliveryJob } from "./jobs";
import { send, type SendResult } from "./send";
import { signingKeysFor } from "./signing";

/**
 * One delivery attempt: the signing secret (bounded, src/delivery/claim.ts), the payload, then the
 * signed request (src/delivery/send.ts). Nothing unsigned and no wrong body is ever sent: a missing
 * secret or payload fails the attempt without sending.
 */

function ownerOf(job: DeliveryJob): SecretOwner {
  return job.work.endpoint_id ? { kind: "endpoint", id: job.work.endpoint_id } : { kind: "tenant", id: job.work.tenant_id };
}

/** A failed attempt that sent nothing (fail closed: never unsigned, never a wrong body); logged, retried like any failure. */
function unsent(job: DeliveryJob, log: string, errorKind: SendResult["errorKind"], error: string): SendResult {
  console.error(`delivery ${job.work.id}: ${log}`);
  return { outcome: "retryable", statusCode: null, errorKind, error, durationMs: 0, responseBody: null, retryAfterSeconds: null };
}

/** Makes one attempt of `job` at `now` (epoch ms); never throws for a missing secret or payload. */
export async function attemptDelivery(env: Env, job: DeliveryJob, policy: TargetPolicy, now: number): Promise<SendResult> {
  const { signature } = job;
  let secrets: string[];
  let body: string;
  try {
    // Bounded like every step of a send, so a batch's lifetime stays bounded (src/delivery/claim.ts).
    const set = await within(readSecretSet(env, ownerOf(job), { cached: true }), SECRET_READ_BOUND_MS, "reading it timed out");
    if (!set) throw new Error("no signing secret stored");
    secrets = signingKeysFor(signature, activeSecrets(set, now));
    if (secrets.length === 0) throw new Error(`no stored key fits the ${signature.scheme} scheme`);
  } catch (error) {
    return unsent(job, `signing secret unavailable: ${(error as Error).message}`, "secret_unavailable", "Signing secret unavailable; nothing was sent");
  }
  try {
    body = await readPayload(env, job.work);
  } catch (error) {
    return unsent(job, `payload unreadable: ${(error as Error).message}`, "payload_unavailable", "Payload unavailable; nothing was sent");
  }
  return send({ url: job.url, messageId: job.work.message_id, body, headers: job.headers, signature, secrets, timeoutMs: job.timeoutMs, policy, now });
}
