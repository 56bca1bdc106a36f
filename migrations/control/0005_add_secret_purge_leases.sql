-- A purge under way holds its owners until leased_until (epoch ms; 0: free): the sweeper and the
-- deleting request each purge only owners they leased, and a tenant id whose deleted namesake's
-- secret is held cannot be created again until the lease ends (src/ops/secret-purges.ts). Without
-- it a purge that read a queued tenant just before that tenant was created again would delete the
-- new tenant's secret: its KV keys are the namesake's.
ALTER TABLE secret_purges ADD COLUMN leased_until INTEGER NOT NULL DEFAULT 0;
