import { queuedSecretPurges, removeSecretPurges } from "../db/secret-purges";
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
 * Deletes the secrets of `owners` (at most SECRET_PURGES_PER_INVOCATION), then takes them off the
 * control database's queue. A KV failure leaves them queued for the sweeper's next run; the owners
 * deleted before it are taken off.
 * @throws Error when the queue's D1 write fails (the secrets stay queued, and deleting twice is harmless)
 */
export async function purgeSecrets(env: Pick<Env, "DB" | "SECRETS" | "MASTER_KEY">, owners: SecretOwner[]): Promise<void> {
  const settled = await Promise.allSettled(owners.map((owner) => deleteSecret(env, owner)));
  const deleted = owners.filter((_, i) => settled[i]!.status === "fulfilled");
  await removeSecretPurges(env.DB, deleted);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) console.error(`deleting ${owners.length - deleted.length} secrets of deleted owners failed, the sweeper retries: ${(failed.reason as Error)?.message}`);
}

/** The sweeper's share: deletes the secrets of up to SECRET_PURGES_PER_INVOCATION queued owners; returns how many it took. */
export async function purgeQueuedSecrets(env: Pick<Env, "DB" | "SECRETS" | "MASTER_KEY">): Promise<number> {
  const owners = await queuedSecretPurges(env.DB, SECRET_PURGES_PER_INVOCATION);
  await purgeSecrets(env, owners);
  return owners.length;
}
