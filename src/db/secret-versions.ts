import type { SecretOwner } from "../secrets";

/**
 * Where an owner's secret version lives: an endpoint's in its row on the tenant's data shard,
 * scoped to its tenant; the tenant's own in its mirror row on that same shard (the consumer reads
 * both with the delivery rows). Callers pass the tenant's shard.
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
 * What an endpoint's row says about its key, changed together with the version so the row never
 * disagrees with the rotation that claimed it: the current key's public key (null for an HMAC
 * secret) and, when a rotation switches the endpoint's scheme, its signature config as JSON text.
 */
export interface EndpointKeyColumns {
  public_key: string | null;
  signature?: string;
}

/**
 * Moves an owner's secret version from `expected` to `next` if nobody moved it meanwhile (a
 * compare-and-set), setting an endpoint's `columns` in the same statement; returns whether it did.
 * Claiming and releasing a rotation are both this.
 */
export async function swapSecretVersion(
  db: D1Database,
  owner: SecretOwner,
  expected: number,
  next: number,
  columns?: EndpointKeyColumns,
): Promise<boolean> {
  const sets = ["secret_version = ?"];
  const values: unknown[] = [next];
  if (columns && owner.kind === "endpoint") {
    sets.push("public_key = ?");
    values.push(columns.public_key);
    if (columns.signature !== undefined) {
      sets.push("signature = ?");
      values.push(columns.signature);
    }
  }
  const result = await db
    .prepare(`UPDATE ${TABLE[owner.kind]} SET ${sets.join(", ")} WHERE id = ? AND secret_version = ?`)
    .bind(...values, owner.id, expected)
    .run();
  return result.meta.changes > 0;
}
