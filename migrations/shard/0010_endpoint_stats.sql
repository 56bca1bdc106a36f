-- Endpoint stats (issue 27): attempts per endpoint and 5-minute bucket, by outcome, with a small
-- fixed latency histogram so p50/p95 can be computed at read (src/lib/endpoint-stats.ts holds the
-- bucket bounds: latency_0 counts attempts up to 50 ms, then 100, 250, 500, 1000, 2500, 10000 ms,
-- and latency_7 everything slower). A consumer batch upserts one row per endpoint and bucket it
-- touched, in its one D1 write, not a row per attempt. WITHOUT ROWID: the key is the row, so an
-- upsert writes one b-tree entry (one row written in D1's count).
CREATE TABLE endpoint_stats (
  tenant_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  bucket_start INTEGER NOT NULL,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  latency_0 INTEGER NOT NULL DEFAULT 0,
  latency_1 INTEGER NOT NULL DEFAULT 0,
  latency_2 INTEGER NOT NULL DEFAULT 0,
  latency_3 INTEGER NOT NULL DEFAULT 0,
  latency_4 INTEGER NOT NULL DEFAULT 0,
  latency_5 INTEGER NOT NULL DEFAULT 0,
  latency_6 INTEGER NOT NULL DEFAULT 0,
  latency_7 INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, endpoint_id, bucket_start)
) WITHOUT ROWID;
