-- Dashboard access (src/dashboard): one-time portal links and browser sessions.
-- Times are unix epoch milliseconds, as in 0001.

CREATE TABLE portal_links (
  id          TEXT PRIMARY KEY,   -- named inside the link's signed token
  tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER             -- set when exchanged for a session: a link works once
);
CREATE INDEX portal_links_by_tenant ON portal_links (tenant_id, expires_at);

CREATE TABLE dashboard_sessions (
  token_hash  TEXT PRIMARY KEY,   -- SHA-256 hex of the cookie's token; the token itself is not stored
  tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  api_key_id  TEXT REFERENCES api_keys(id) ON DELETE CASCADE,  -- the key signed in with; NULL for a portal link
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX dashboard_sessions_by_tenant ON dashboard_sessions (tenant_id, expires_at);
