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
-- No index on failing_since: the sweeper's minutely scan of a shard's endpoints is cheap, an index
-- entry on every streak start and end would be a write on the delivery path.

-- Messages and deliveries are laid out so that a single-endpoint message delivered on its first
-- attempt writes 3 D1 rows in all, index entries included (README "Storage"): no secondary index
-- on the enqueue path, every listing served by a primary key.
--
-- messages is a rowid table on purpose: its row holds the compressed payload (~1 KiB), and a
-- WITHOUT ROWID table keeps at most ~1,000 bytes of a row on its own 4 KiB page, spilling the rest
-- to an overflow page of its own (SQLite file format, "index b-tree" local payload). `key` is the
-- rowid: the tenant's 16-bit bucket, then milliseconds since 2025-01-01, then 7 bits of sequence
-- (src/lib/ids.ts), so one tenant's messages are a contiguous, time-ordered rowid range, and the
-- message id (a UUIDv7) carries the key.
CREATE TABLE messages (
  key          INTEGER PRIMARY KEY,
  tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id           TEXT NOT NULL,   -- UUIDv7 carrying `key`; ends in 0000
  event        TEXT NOT NULL,
  source       TEXT,
  targets      TEXT NOT NULL,   -- JSON array, one endpoint id per delivery in ordinal order; "" = the one-off webhook_url
  webhook_url  TEXT,
  payload      BLOB,            -- Brotli of the exact payload text; NULL when it is in R2
  payload_r2   INTEGER NOT NULL DEFAULT 0,  -- 1: payload in R2 (binding PAYLOADS) at payloads/{tenant_id}/{id}
  created_at   INTEGER NOT NULL
);

-- A delivery's id is its message's id with the last 4 hex digits = its ordinal + 1. The latest
-- attempt lives in the last_* columns; earlier ones in `history` (JSON array, appended in SQL).
CREATE TABLE deliveries (
  tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  endpoint_id      TEXT NOT NULL,   -- "" for the one-off target (webhook_url on the message)
  id               TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'retrying', 'succeeded', 'failed', 'cancelled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  attempt_base     INTEGER NOT NULL DEFAULT 0,  -- attempts made before the last replay
  queue_token      TEXT NOT NULL,  -- names the live queue chain; older chains are stale
  enqueued_at      INTEGER,
  next_attempt_at  INTEGER,
  last_attempt_at  INTEGER,
  last_attempt     INTEGER,        -- the latest attempt's number (stale attempts recorded later count too)
  last_status_code INTEGER,
  last_error_kind  TEXT,
  last_error       TEXT,
  last_duration_ms INTEGER,
  last_outcome     TEXT,
  last_response    BLOB,           -- TEXT: the excerpt as is; BLOB: Brotli of it
  history          TEXT,           -- JSON array of the attempts before the latest
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, endpoint_id, id)
) WITHOUT ROWID;
-- What the sweeper watches once a delivery has left the enqueue path (retries, replays, re-arms).
-- A fresh delivery (updated_at = created_at) is not in it, and a first attempt that succeeds
-- never enters it, so the hot path writes no entry here.
CREATE INDEX deliveries_open ON deliveries (next_attempt_at)
  WHERE status IN ('pending', 'retrying') AND updated_at > created_at;

-- One row per sweeper task: how far its scan of new deliveries got (epoch ms).
CREATE TABLE sweeper_state (
  name   TEXT PRIMARY KEY,
  value  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE idempotency_keys (
  tenant_id     TEXT NOT NULL,
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  message_id    TEXT NOT NULL,  -- the first response is rebuilt from this message
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
