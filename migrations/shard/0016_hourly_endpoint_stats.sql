-- Endpoint stats rollups folded into hours (issue 25): the sweeper moves an endpoint's 5-minute
-- rollups into one row per hour once the hour is over an hour ago (src/db/endpoint-stats.ts
-- foldEndpointStatsIntoHours), so a 24-hour read takes at most ~24 hourly and ~24 5-minute rows
-- per endpoint instead of 288, and 7 days ~190 instead of 2,016. Same columns as endpoint_stats;
-- hour_start is the start of the hour (epoch ms). Written by the sweeper only, never on the
-- delivery path.
CREATE TABLE endpoint_stats_hourly (
  tenant_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  hour_start INTEGER NOT NULL,
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
  PRIMARY KEY (tenant_id, endpoint_id, hour_start)
) WITHOUT ROWID;
