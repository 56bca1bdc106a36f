-- Delayed and scheduled messages (issue 26): a delivery waits in status 'scheduled' until its
-- next_attempt_at. SQLite cannot change a CHECK constraint in place, so the table is rebuilt with
-- the same columns, key and indexes, and 'scheduled' added to the statuses.
PRAGMA defer_foreign_keys = true;

CREATE TABLE deliveries_rebuilt (
  tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  endpoint_id      TEXT NOT NULL,
  id               TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('scheduled', 'pending', 'retrying', 'succeeded', 'failed', 'cancelled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  attempt_base     INTEGER NOT NULL DEFAULT 0,
  queue_token      TEXT NOT NULL,
  enqueued_at      INTEGER,
  next_attempt_at  INTEGER,
  last_attempt_at  INTEGER,
  last_attempt     INTEGER,
  last_status_code INTEGER,
  last_error_kind  TEXT,
  last_error       TEXT,
  last_duration_ms INTEGER,
  last_outcome     TEXT,
  last_response    BLOB,
  history          TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, endpoint_id, id)
) WITHOUT ROWID;

INSERT INTO deliveries_rebuilt SELECT * FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_rebuilt RENAME TO deliveries;

CREATE INDEX deliveries_open ON deliveries (next_attempt_at)
  WHERE status IN ('pending', 'retrying') AND updated_at > created_at;
CREATE INDEX deliveries_closed_by_tenant ON deliveries (tenant_id, status, id) WHERE status IN ('failed', 'cancelled');
CREATE INDEX deliveries_closed_by_endpoint ON deliveries (tenant_id, endpoint_id, status, id) WHERE status IN ('failed', 'cancelled');
-- The sweeper's watch over scheduled deliveries, by due time: one entry (one more D1 row written)
-- per scheduled delivery only, gone once it is due and attempted or cancelled.
CREATE INDEX deliveries_scheduled ON deliveries (next_attempt_at) WHERE status = 'scheduled';
