-- Listing a tenant's (or one endpoint's) failed or cancelled deliveries reads its page, not the
-- tenant's whole history (issue 25: `GET …/deliveries?status=failed` walked every delivery of the
-- tenant to find the few that failed). Partial, so a delivery gets an entry only when it fails for
-- good or is cancelled: the enqueue path and a first attempt that succeeds write no entry here, and
-- a single delivery still costs 3 D1 rows written (D1 counts each index entry as a row written,
-- https://developers.cloudflare.com/d1/platform/pricing/). A delivery that fails pays 2 rows more,
-- once (and 2 when a replay takes it out again).
CREATE INDEX deliveries_closed_by_tenant ON deliveries (tenant_id, status, id) WHERE status IN ('failed', 'cancelled');
CREATE INDEX deliveries_closed_by_endpoint ON deliveries (tenant_id, endpoint_id, status, id) WHERE status IN ('failed', 'cancelled');
