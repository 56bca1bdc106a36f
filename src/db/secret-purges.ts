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
  return [
    db.prepare("DELETE FROM tenants WHERE id = ?").bind(tenantId),
    ...runsOf(owners, OWNERS_PER_STATEMENT).map((run) =>
      db.prepare("INSERT OR IGNORE INTO secret_purges (kind, id) SELECT value ->> 0, value ->> 1 FROM json_each(?)").bind(ownersJson(run)),
    ),
  ];
}

/** Up to `limit` queued owners, in primary-key order (one range read). */
export async function queuedSecretPurges(db: D1Database, limit: number): Promise<SecretOwner[]> {
  const { results } = await db.prepare("SELECT kind, id FROM secret_purges ORDER BY kind, id LIMIT ?").bind(limit).all<SecretOwner>();
  return results;
}

/** Takes `owners` off the queue: their secrets are deleted. */
export async function removeSecretPurges(db: D1Database, owners: SecretOwner[]): Promise<void> {
  if (owners.length === 0) return;
  await db.batch(
    runsOf(owners, OWNERS_PER_STATEMENT).map((run) =>
      db.prepare("DELETE FROM secret_purges WHERE (kind, id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))").bind(ownersJson(run)),
    ),
  );
}
