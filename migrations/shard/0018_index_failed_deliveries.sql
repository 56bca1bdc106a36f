-- The operator view's dead letters (src/db/operator-view.ts deadLetters): the newest failed
-- deliveries of a shard, across tenants. deliveries_closed_by_tenant leads with the tenant, so
-- "newest first across tenants" read every failed and cancelled delivery of the shard and sorted
-- them (issue 25: ~120,000 rows a call at a million messages with 6 % failed). This index holds only
-- failed deliveries, newest id last, so the page is its last `limit` entries. It costs one row
-- written when a delivery fails for good, none on the enqueue path or for a delivery that succeeds
-- (the cost bench's rows written per delivery are unchanged).
CREATE INDEX deliveries_failed ON deliveries (id) WHERE status = 'failed';
