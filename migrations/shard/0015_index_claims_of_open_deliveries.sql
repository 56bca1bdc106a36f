-- The sweeper finds the open deliveries whose claim lapsed (src/db/maintenance.ts rearmStuckDeliveries)
-- by a range of this index, reading about as many entries as it re-arms (issue 25). Keyed until now by
-- next_attempt_at, which a pending delivery leaves NULL, so every sweep read every open delivery,
-- retries due hours later included. Now keyed by when the claim began: enqueued_at, or for a retry
-- the later of it and its due time (src/delivery/claim.ts). Same rows as before (same WHERE), so the
-- same writes: none on the enqueue path or for a first attempt that succeeds.
DROP INDEX deliveries_open;
CREATE INDEX deliveries_open ON deliveries ((CASE status WHEN 'retrying' THEN max(next_attempt_at, enqueued_at) ELSE enqueued_at END))
  WHERE status IN ('pending', 'retrying') AND updated_at > created_at;
