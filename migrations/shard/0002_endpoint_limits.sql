-- Per-endpoint delivery limits (src/delivery/endpoint-limiter.ts). NULL = no limit, the default,
-- so existing endpoints keep delivering as before.
ALTER TABLE endpoints ADD COLUMN rate_limit TEXT;        -- JSON {per_second, burst?}
ALTER TABLE endpoints ADD COLUMN max_in_flight INTEGER;
