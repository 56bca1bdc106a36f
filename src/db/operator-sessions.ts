/** A dashboard session opened with the admin token (the operator view), by the hash of its token. */
export interface OperatorSession {
  tokenHash: string;
  expiresAt: number;
}

/** Stores a new operator session and, in the same batch, drops expired ones so the table stays small. */
export async function insertOperatorSession(db: D1Database, session: { tokenHash: string; now: number; expiresAt: number }): Promise<void> {
  await db.batch([
    db.prepare("DELETE FROM operator_sessions WHERE expires_at <= ?").bind(session.now),
    db.prepare("INSERT INTO operator_sessions (token_hash, created_at, expires_at) VALUES (?, ?, ?)").bind(session.tokenHash, session.now, session.expiresAt),
  ]);
}

/** The live operator session with this token hash, or null when it is unknown or expired. */
export async function findOperatorSession(db: D1Database, tokenHash: string, now: number): Promise<OperatorSession | null> {
  const row = await db
    .prepare("SELECT token_hash, expires_at FROM operator_sessions WHERE token_hash = ? AND expires_at > ?")
    .bind(tokenHash, now)
    .first<{ token_hash: string; expires_at: number }>();
  return row ? { tokenHash: row.token_hash, expiresAt: row.expires_at } : null;
}

/** Ends an operator session. */
export async function deleteOperatorSession(db: D1Database, tokenHash: string): Promise<void> {
  await db.prepare("DELETE FROM operator_sessions WHERE token_hash = ?").bind(tokenHash).run();
}
