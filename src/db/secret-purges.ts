// The queue of secrets whose owner is gone (migrations/control/0004_secret_purges.sql), in the
// control database.
import type { SecretOwner } from "../secrets";
import { runsOf } from "./chunks";

/**
 * Owners one statement queues or removes: ~40 bytes of JSON each, so a run stays well under D1's
 * 2,000,000-byte string limit (developers.cloudflare.com/d1/platform/limits/).
 */
const OWNERS_PER_STATEMENT = 10_000;

const ownersJson = (owners: SecretOwner[]) => JSON.stringify(owners.map((o) => [o.kind, o.id]));

/**
 * The statements that delete tenant `tenantId`'s control row (its API keys, portal links and
 * sessions go with it through foreign keys) and queue `owners`' secrets for deletion, for one
 * atomic D1 batch: either the tenant is gone and its secrets are queued, or neither. The first
 * statement's `meta.changes` says whether the tenant existed.
 */
export function deleteTenantQueuingSecrets(db: D1Database, tenantId: string, owners: SecretOwner[]): D1PreparedStatement[] {
  return [db.prepare("DELETE FROM tenants WHERE id = ?").bind(tenantId), ...queueing(db, owners)];
}

/** `sql` bound to each run of OWNERS_PER_STATEMENT of `owners` (its one parameter: their JSON): a statement a run. */
const perRun = (db: D1Database, sql: string, owners: SecretOwner[]) =>
  runsOf(owners, OWNERS_PER_STATEMENT).map((run) => db.prepare(sql).bind(ownersJson(run)));

const queueing = (db: D1Database, owners: SecretOwner[]) =>
  perRun(db, "INSERT OR IGNORE INTO secret_purges (kind, id) SELECT value ->> 0, value ->> 1 FROM json_each(?)", owners);

/** Queues `owners`' secrets for deletion by the sweeper (src/ops/secret-purges.ts); one already queued stays as it is. */
export async function queueSecretPurges(db: D1Database, owners: SecretOwner[]): Promise<void> {
  await db.batch(queueing(db, owners));
}

/**
 * Leases queued owners until `until` (epoch ms) and returns them: `owners` when given (those still
 * queued, each a primary-key seek), else up to `limit` in primary-key order (one range read); never
 * one whose lease is live at `now`, nor a tenant that exists again (its creation purges its
 * namesake's secret itself).
 */
export async function leaseSecretPurges(db: D1Database, now: number, until: number, limit: number, owners?: SecretOwner[]): Promise<SecretOwner[]> {
  const from = owners ? "json_each(?4) AS o CROSS JOIN secret_purges AS p ON p.kind = o.value ->> 0 AND p.id = o.value ->> 1" : "secret_purges AS p";
  const { results } = await db
    .prepare(
      `UPDATE secret_purges SET leased_until = ?2
       WHERE (kind, id) IN (
         SELECT p.kind, p.id FROM ${from}
         WHERE p.leased_until <= ?1 AND NOT (p.kind = 'tenant' AND EXISTS (SELECT 1 FROM tenants AS t WHERE t.id = p.id))
         ORDER BY p.kind, p.id LIMIT ?3)
       RETURNING kind, id`,
    )
    .bind(now, until, limit, ...(owners ? [ownersJson(owners)] : []))
    .all<SecretOwner>();
  return results;
}

/** Whether `owner`'s secret is queued for deletion, and whether a purge holds it at `now` (epoch ms); one primary-key read. */
export async function secretPurgeOf(db: D1Database, owner: SecretOwner, now: number): Promise<{ queued: boolean; leased: boolean }> {
  const leased = await db.prepare("SELECT leased_until > ? AS leased FROM secret_purges WHERE kind = ? AND id = ?").bind(now, owner.kind, owner.id).first<number>("leased");
  return { queued: leased !== null, leased: leased === 1 };
}

/** Takes `deleted` off the queue (their secrets are gone) and frees the lease of `failed`, for the next purge to try again. */
export async function settleSecretPurges(db: D1Database, deleted: SecretOwner[], failed: SecretOwner[] = []): Promise<void> {
  const statements = [
    ...perRun(db, "DELETE FROM secret_purges WHERE (kind, id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))", deleted),
    ...perRun(db, "UPDATE secret_purges SET leased_until = 0 WHERE (kind, id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))", failed),
  ];
  if (statements.length > 0) await db.batch(statements);
}
