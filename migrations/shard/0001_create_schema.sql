-- Edgehook data shard: every tenant-scoped table. Each shard database (SHARD_0, SHARD_1, ...) gets
-- this same schema; a tenant's rows all live on the one shard the control database names for it.
-- Times are unix epoch milliseconds (INTEGER); JSON columns hold TEXT.
-- Signing secrets are NOT stored here: they live in KV, encrypted (see src/secrets.ts).

-- The tenants that live on this shard, mirroring their control-database rows. Shard rows reference
-- it, and a tenant without its mirror row here has been deleted (or lives elsewhere), whatever an
-- isolate's cached tenant -> shard mapping says.
CREATE TABLE tenants (id TEXT PRIMARY KEY) WITHOUT ROWID;

CREATE TABLE endpoints (
  id               TEXT PRIMARY KEY,
  tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  url              TEXT NOT NULL,
  name             TEXT,
  description      TEXT,
  events           TEXT NOT NULL DEFAULT '[]',  -- JSON array of event patterns; [] = all
  source           TEXT,                         -- NULL = every source
  headers          TEXT NOT NULL DEFAULT '{}',  -- JSON object of static headers
  enabled          INTEGER NOT NULL DEFAULT 1,
  signature        TEXT NOT NULL,                -- JSON {scheme, header?, prefix?}
  retry            TEXT NOT NULL,                -- JSON {max_attempts?, schedule?}
  timeout_ms       INTEGER NOT NULL,
  disabled_reason  TEXT,
  failing_since    INTEGER,                      -- first failure of the current failure streak
  last_failed_at   INTEGER,                      -- latest failure of that streak: auto-disable needs failures spanning the window
  secret_version   INTEGER NOT NULL DEFAULT 0,   -- claim time (epoch ms) of the last rotation; serialises rotations (src/ops/secret-rotation.ts)
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX endpoints_by_tenant ON endpoints (tenant_id, created_at, id);
CREATE INDEX endpoints_failing ON endpoints (failing_since) WHERE failing_since IS NOT NULL;

CREATE TABLE messages (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  event       TEXT NOT NULL,
  source      TEXT,
  payload     TEXT NOT NULL,  -- the exact bytes sent as the delivery body
  created_at  INTEGER NOT NULL
);
CREATE INDEX messages_by_tenant ON messages (tenant_id, created_at, id);
CREATE INDEX messages_by_age ON messages (created_at);

CREATE TABLE deliveries (
  id               TEXT PRIMARY KEY,
  tenant_id        TEXT NOT NULL,
  message_id       TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  endpoint_id      TEXT,          -- NULL for a one-off webhook_url delivery
  url              TEXT,          -- the one-off target; endpoint deliveries use the endpoint's URL
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'retrying', 'succeeded', 'failed', 'cancelled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  attempt_base     INTEGER NOT NULL DEFAULT 0,  -- attempts made before the last replay
  queue_token      TEXT NOT NULL,  -- names the live queue chain; older chains are stale
  enqueued_at      INTEGER,
  next_attempt_at  INTEGER,
  last_attempt_at  INTEGER,
  last_status_code INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX deliveries_by_message ON deliveries (message_id);
CREATE INDEX deliveries_by_tenant ON deliveries (tenant_id, created_at, id);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, status, created_at);
CREATE INDEX deliveries_open ON deliveries (status, next_attempt_at)
  WHERE status IN ('pending', 'retrying');

CREATE TABLE attempts (
  id            TEXT PRIMARY KEY,
  delivery_id   TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  attempt       INTEGER NOT NULL,
  outcome       TEXT NOT NULL CHECK (outcome IN ('ok', 'retryable', 'permanent')),
  status_code   INTEGER,
  error_kind    TEXT,   -- timeout | network | http_status | redirect | blocked_target | ...
  error         TEXT,
  duration_ms   INTEGER NOT NULL,
  response_body TEXT,   -- first few KiB of the receiver's answer
  created_at    INTEGER NOT NULL
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, attempt);

CREATE TABLE idempotency_keys (
  tenant_id     TEXT NOT NULL,
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  message_id    TEXT NOT NULL,  -- the first response is rebuilt from this message
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
