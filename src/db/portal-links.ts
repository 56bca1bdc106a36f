/**
 * Records a new portal link and, in the same batch, drops the tenant's expired ones so the table
 * stays small without a sweeper.
 */
export async function insertPortalLink(
  db: D1Database,
  link: { id: string; tenantId: string; now: number; expiresAt: number },
): Promise<void> {
  await db.batch([
    db.prepare("DELETE FROM portal_links WHERE tenant_id = ? AND expires_at <= ?").bind(link.tenantId, link.now),
    db
      .prepare("INSERT INTO portal_links (id, tenant_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
      .bind(link.id, link.tenantId, link.now, link.expiresAt),
  ]);
}

/**
 * Marks an unexpired, unused link as used, atomically: of two concurrent exchanges only one
 * succeeds. Returns whether this call used it.
 */
export async function consumePortalLink(db: D1Database, link: { id: string; tenantId: string; now: number }): Promise<boolean> {
  const result = await db
    .prepare("UPDATE portal_links SET used_at = ?1 WHERE id = ?2 AND tenant_id = ?3 AND used_at IS NULL AND expires_at > ?1")
    .bind(link.now, link.id, link.tenantId)
    .run();
  return result.meta.changes > 0;
}
