-- The operator view's dead letters: failed deliveries, newest first, read by index so the read stays
-- bounded on a shard of many deliveries. A delivery enters it once, when it fails for good; the hot
-- path (pending, retrying, succeeded) never writes to it.
CREATE INDEX deliveries_dead ON deliveries (updated_at) WHERE status = 'failed';
