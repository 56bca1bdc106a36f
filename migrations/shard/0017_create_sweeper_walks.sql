-- Where each of the sweeper's resumable walks stopped (src/db/sweeper-walks.ts): re-arming's walk
-- of fresh deliveries and the retention purge over (tenant, endpoint) pairs, the purge over tenant
-- buckets, the endpoint stats fold and purge over endpoints. A sweep has a D1 query budget (src/db/query-budget.ts), so a shard with more
-- ranges than one sweep covers is walked over successive sweeps, each continuing after the key
-- the last one finished. `after` is that key as JSON text; NULL or no row: from the first key.
CREATE TABLE sweeper_walks (
  name  TEXT PRIMARY KEY,
  after TEXT
) WITHOUT ROWID;
