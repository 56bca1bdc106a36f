import type { SecretOwner } from "../secrets";

/**
 * Where an owner's secret version lives: an endpoint's in its row on the tenant's data shard,
 * scoped to its tenant; the tenant's own in its row in the control database. Callers pass the
 * database that holds the owner.
 */
const TABLE = { endpoint: "endpoints", tenant: "tenants" } as const;
const SCOPE = { endpoint: "tenant_id", tenant: "id" } as const;

/**
 * The version of an owner's secret set (see src/secret-rotation.ts), or null when the owner is not
 * `tenantId`'s (or does not exist).
 */
export async function readSecretVersion(db: D1Database, tenantId: string, owner: SecretOwner): Promise<number | null> {
  return db
    .prepare(`SELECT secret_version FROM ${TABLE[owner.kind]} WHERE id = ? AND ${SCOPE[owner.kind]} = ?`)
    .bind(owner.id, tenantId)
    .first<number>("secret_version");
}

/**
 * Moves an owner's secret version from `expected` to `next` if nobody moved it meanwhile (a
 * compare-and-set); returns whether it did. Claiming and releasing a rotation are both this.
 */
export async function swapSecretVersion(db: D1Database, owner: SecretOwner, expected: number, next: number): Promise<boolean> {
  const result = await db
    .prepare(`UPDATE ${TABLE[owner.kind]} SET secret_version = ? WHERE id = ? AND secret_version = ?`)
    .bind(next, owner.id, expected)
    .run();
  return result.meta.changes > 0;
}
