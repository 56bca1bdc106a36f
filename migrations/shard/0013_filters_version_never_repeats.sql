-- A tenant's filters_version must never repeat a value an isolate may still hold for the same tenant
-- id (src/ops/enqueue-filters.ts keeps each tenant's filters at the version it read them at). A
-- tenant deleted and created again under its id started over at 0, so its first filtered endpoints
-- brought the version back to 1, 2, … and an isolate holding the old tenant's filters at that
-- version fanned out by them: the new endpoints got no deliveries. A bump now moves the version at
-- least to the current epoch milliseconds, which a later incarnation's first bump passes; 0 still
-- means "never had a filter", so tenants without filters still read nothing at enqueue.
DROP TRIGGER endpoint_filter_inserted;
DROP TRIGGER endpoint_filter_updated;

CREATE TRIGGER endpoint_filter_inserted AFTER INSERT ON endpoints WHEN new.filter IS NOT NULL
BEGIN
  UPDATE tenants SET filters_version = max(filters_version + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  WHERE id = new.tenant_id;
END;

CREATE TRIGGER endpoint_filter_updated AFTER UPDATE OF filter ON endpoints WHEN old.filter IS NOT new.filter
BEGIN
  UPDATE tenants SET filters_version = max(filters_version + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  WHERE id = new.tenant_id;
END;
