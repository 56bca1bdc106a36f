-- Dashboard sessions opened with the admin token: the operator view across tenants. Kept apart
-- from tenant sessions (dashboard_sessions), which always belong to one tenant.
CREATE TABLE operator_sessions (
  token_hash  TEXT PRIMARY KEY,   -- HMAC-SHA256 hex of the cookie's token under ADMIN_TOKEN; the token itself is not stored
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX operator_sessions_by_expiry ON operator_sessions (expires_at);
