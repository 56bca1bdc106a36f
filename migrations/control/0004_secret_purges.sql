-- Secrets (in KV) whose owner is gone and that are still to be deleted. Deleting a tenant deletes
-- its endpoints' secrets, three KV operations each (read the set's version, delete two keys), and one
-- Worker invocation may make 1,000 KV operations (developers.cloudflare.com/kv/platform/limits/): a
-- tenant with a few hundred endpoints could not be deleted in one request. The owners are queued
-- here in the same D1 batch that deletes the tenant's control row; the request deletes what fits in
-- its share of the cap and the cron sweeper the rest (src/ops/secret-purges.ts).
CREATE TABLE secret_purges (
  kind TEXT NOT NULL CHECK (kind IN ('endpoint', 'tenant')),
  id   TEXT NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
