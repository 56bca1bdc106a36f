-- Edgehook control database: who the tenants are, where their data lives and who may act for them.
-- Everything a tenant owns beyond this lives on its data shard (migrations/shard).
-- Times are unix epoch milliseconds (INTEGER).

CREATE TABLE tenants (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  shard       INTEGER NOT NULL,  -- the data shard (binding SHARD_{shard}), fixed at creation
  secret_version INTEGER NOT NULL DEFAULT 0,  -- claim time (epoch ms) of the last rotation of the tenant's own secret
  created_at  INTEGER NOT NULL
);
-- Counting tenants per shard (choosing the shard of a new tenant) reads this index only.
CREATE INDEX tenants_by_shard ON tenants (shard);

CREATE TABLE api_keys (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name        TEXT,
  key_hash    TEXT NOT NULL UNIQUE,  -- SHA-256 hex of the key; the key itself is shown once
  key_prefix  TEXT NOT NULL,         -- first characters, to recognise a key in a list
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);

-- Dashboard access (src/dashboard): one-time portal links and browser sessions.

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
