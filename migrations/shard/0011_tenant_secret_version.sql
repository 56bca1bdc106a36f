-- The version of the tenant's own secret set (the one that signs one-off webhook_url deliveries), in
-- its mirror row so the consumer's batch query reads it with the delivery rows: deliveries sign with
-- exactly the KV key it names (src/secrets.ts), and rotations claim it (src/ops/secret-rotation.ts).
-- It is the claim time (epoch ms) of the set's creation or last rotation; 0 for a tenant created
-- before this column, whose unversioned key stays in use until its next rotation. The control
-- database's tenants.secret_version, which held it before, is no longer read.
ALTER TABLE tenants ADD COLUMN secret_version INTEGER NOT NULL DEFAULT 0;
