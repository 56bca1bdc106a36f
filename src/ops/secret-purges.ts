import { leaseSecretPurges, queueSecretPurges, secretPurgeOf, settleSecretPurges } from "../db/secret-purges";
import { ApiError } from "../errors";
import { deleteSecret, type SecretOwner } from "../secrets";

/**
 * Deleting the secrets of owners that are gone, within Cloudflare's 1,000 KV operations per Worker
 * invocation (developers.cloudflare.com/kv/platform/limits/). Deleting one owner's secret takes up to
 * three (src/secrets.ts deleteSecret: a read of the set's version, then two deletes).
 */

/**
 * Most owners whose secrets one invocation deletes: three KV operations each, so 750 of the 1,000,
 * leaving the rest to the work around it (a request's API-key check, the sweeper's operational
 * events).
 */
export const SECRET_PURGES_PER_INVOCATION = 250;

/**
 * How long a purge holds the owners it leased (ms): far longer than its KV deletes take. While it
 * holds a tenant, that tenant's id cannot be created again (src/db/tenants.ts insertTenant); a purge
 * that dies leaves its owners to the next one after this.
 */
const PURGE_LEASE_MS = 60_000;

/** How long a client asked to wait for a tenant id held by a purge waits before trying again (s). */
const HELD_RETRY_AFTER_SECONDS = 1;

/**
 * Deletes the secrets of those of `owners` still queued and free (at most SECRET_PURGES_PER_INVOCATION),
 * leasing them first so that none of their ids can be created again meanwhile, then takes them off
 * the control database's queue. A KV failure (reading a set's version included, or its versioned
 * key would be left behind for good) leaves them queued, their lease freed, for the sweeper's next
 * run. Returns how many it leased.
 * @throws Error when the queue's D1 writes fail (the secrets stay queued, and deleting twice is harmless)
 */
export async function purgeSecrets(env: Pick<Env, "DB" | "SECRETS" | "MASTER_KEY">, owners?: SecretOwner[], now = Date.now()): Promise<number> {
  const leased = await leaseSecretPurges(env.DB, now, now + PURGE_LEASE_MS, SECRET_PURGES_PER_INVOCATION, owners);
  const settled = await Promise.allSettled(leased.map((owner) => deleteSecret(env, owner, { versionRequired: true })));
  const deleted = leased.filter((_, i) => settled[i]!.status === "fulfilled");
  const failed = leased.filter((_, i) => settled[i]!.status === "rejected");
  await settleSecretPurges(env.DB, deleted, failed);
  const error = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (error) console.error(`deleting ${failed.length} secrets of deleted owners failed, the sweeper retries: ${(error.reason as Error)?.message}`);
  return leased.length;
}

/** The sweeper's share: deletes the secrets of up to SECRET_PURGES_PER_INVOCATION queued owners; returns how many it took. */
export function purgeQueuedSecrets(env: Pick<Env, "DB" | "SECRETS" | "MASTER_KEY">, now = Date.now()): Promise<number> {
  return purgeSecrets(env, undefined, now);
}

/**
 * Deletes the secret of `owner`, which is gone; when KV fails, queues it for the sweeper instead, so
 * the owner's deletion stands without its secret left in KV for good.
 * @throws Error when KV and then the queue's D1 write both fail
 */
export async function purgeSecretOrQueue(env: Pick<Env, "DB" | "SECRETS" | "MASTER_KEY">, owner: SecretOwner): Promise<void> {
  await deleteSecret(env, owner, { versionRequired: true }).catch(async (error: Error) => {
    console.warn(`deleting the secret of ${owner.kind} ${owner.id} failed, queued for the sweeper: ${error.message}`);
    await queueSecretPurges(env.DB, [owner]);
  });
}

/**
 * Deletes now the secret of `owner` if a deleted namesake's is still queued, and takes it off the
 * queue: a tenant id can be chosen, so a tenant created again with a deleted tenant's id would
 * otherwise have its new secret deleted by the queued purge (its KV keys are the namesake's). The
 * caller holds the id (its control row exists), so no other purge takes the namesake meanwhile.
 * @throws Error when KV or D1 fails (the purge stays queued; the caller must not write a secret for `owner`)
 */
export async function purgeNamesakeSecret(env: Pick<Env, "DB" | "SECRETS" | "MASTER_KEY">, owner: SecretOwner, now = Date.now()): Promise<void> {
  if (!(await secretPurgeOf(env.DB, owner, now)).queued) return;
  await deleteSecret(env, owner, { versionRequired: true });
  await settleSecretPurges(env.DB, [owner]);
}

/**
 * @throws ApiError 503 (Retry-After) when a purge holds the secret of a deleted namesake of `owner`
 *   at `now` (epoch ms): its id is free again once the purge ends
 */
export async function assertNamesakeNotPurging(db: D1Database, owner: SecretOwner, now: number): Promise<void> {
  if ((await secretPurgeOf(db, owner, now)).leased) {
    throw new ApiError(503, "temporarily_unavailable", `The secret of a deleted ${owner.kind} with id "${owner.id}" is being deleted; retry after the Retry-After delay`, undefined, {
      "retry-after": String(HELD_RETRY_AFTER_SECONDS),
    });
  }
}
