-- The latest failure of an endpoint's current failure streak (failing_since holds its first).
-- The sweeper disables an endpoint only when its failures span AUTO_DISABLE_AFTER_SECONDS: a
-- failure at least that long after the first one, with no success in between. An endpoint that
-- failed once and then got no traffic is quiet, not failing, and stays enabled.
ALTER TABLE endpoints ADD COLUMN last_failed_at INTEGER;
