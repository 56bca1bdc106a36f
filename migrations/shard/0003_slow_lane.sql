-- The delivery lane of an endpoint (src/delivery/lanes.ts): since when its deliveries go through the
-- slow queue (epoch ms), or NULL for the main queue. Existing endpoints stay in the main lane.
ALTER TABLE endpoints ADD COLUMN slow_since INTEGER;
