-- Payload filters (CONTRACT.md "Delivery control"): an endpoint's filter as JSON text, NULL = match
-- every payload (the default, so existing endpoints keep receiving everything).
ALTER TABLE endpoints ADD COLUMN filter TEXT;

-- Enqueue evaluates filters in the Worker from a per-isolate copy of the tenant's filtered endpoints
-- (src/ops/enqueue-filters.ts) and stores a message only while the tenant's filters_version is the
-- one that copy was read at, so a copy that an edit in another isolate made stale rolls the batch
-- back instead of fanning out by old filters. These triggers bump the version on every write that
-- changes what such a copy holds (which endpoints have a filter, and what it is), whichever path
-- writes it; events and source are matched in SQL, so they need no bump.
ALTER TABLE tenants ADD COLUMN filters_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER endpoint_filter_inserted AFTER INSERT ON endpoints WHEN new.filter IS NOT NULL
BEGIN
  UPDATE tenants SET filters_version = filters_version + 1 WHERE id = new.tenant_id;
END;

CREATE TRIGGER endpoint_filter_updated AFTER UPDATE OF filter ON endpoints WHEN old.filter IS NOT new.filter
BEGIN
  UPDATE tenants SET filters_version = filters_version + 1 WHERE id = new.tenant_id;
END;
