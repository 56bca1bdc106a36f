/** A signed-in dashboard browser session, as the dashboard needs it on every request. */
export interface DashboardSession {
  tokenHash: string;
  tenantId: string;
  tenantName: string;
  /** The tenant's data shard, as the control database says now. */
  shard: number;
  expiresAt: number;
}

/**
 * Stores a new session (by the hash of its token) and, in the same batch, drops the tenant's
 * expired sessions so the table does not grow without a sweeper.
 */
export async function insertDashboardSession(
  db: D1Database,
  session: { tokenHash: string; tenantId: string; apiKeyId: string | null; now: number; expiresAt: number },
): Promise<void> {
  await db.batch([
    db.prepare("DELETE FROM dashboard_sessions WHERE tenant_id = ? AND expires_at <= ?").bind(session.tenantId, session.now),
    db
      .prepare("INSERT INTO dashboard_sessions (token_hash, tenant_id, api_key_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
      .bind(session.tokenHash, session.tenantId, session.apiKeyId, session.now, session.expiresAt),
  ]);
}

/**
 * The live session with this token hash, or null when it is unknown, expired, or was opened with
 * an API key that has since been revoked.
 */
export async function findDashboardSession(db: D1Database, tokenHash: string, now: number): Promise<DashboardSession | null> {
  const row = await db
    .prepare(
      `SELECT s.token_hash, s.tenant_id, s.expires_at, t.name AS tenant_name, t.shard
       FROM dashboard_sessions AS s
       JOIN tenants AS t ON t.id = s.tenant_id
       LEFT JOIN api_keys AS k ON k.id = s.api_key_id
       WHERE s.token_hash = ? AND s.expires_at > ? AND (s.api_key_id IS NULL OR k.revoked_at IS NULL)`,
    )
    .bind(tokenHash, now)
    .first<{ token_hash: string; tenant_id: string; expires_at: number; tenant_name: string; shard: number }>();
  return row ? { tokenHash: row.token_hash, tenantId: row.tenant_id, tenantName: row.tenant_name, shard: row.shard, expiresAt: row.expires_at } : null;
}

/** Ends a session. */
export async function deleteDashboardSession(db: D1Database, tokenHash: string): Promise<void> {
  await db.prepare("DELETE FROM dashboard_sessions WHERE token_hash = ?").bind(tokenHash).run();
}
