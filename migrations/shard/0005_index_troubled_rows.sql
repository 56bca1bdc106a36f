-- What the operator view lists on every shard, read by index so the read stays bounded: endpoints
-- that are failing or disabled (a row enters or leaves only when its streak starts or ends, or it
-- is disabled or enabled), and failed deliveries (dead letters), newest first.
CREATE INDEX endpoints_troubled ON endpoints (failing_since) WHERE enabled = 0 OR failing_since IS NOT NULL;
CREATE INDEX deliveries_dead ON deliveries (updated_at) WHERE status = 'failed';
