-- Concurrent secret rotations (src/secret-rotation.ts). KV has no compare-and-swap, so each owner's
-- secret set carries a version that a rotation claims here with a compare-and-set before it writes
-- KV. The version is the claim time in epoch ms (0 = never rotated), so a claim whose KV write never
-- landed can be recognised by its age.
ALTER TABLE endpoints ADD COLUMN secret_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN secret_version INTEGER NOT NULL DEFAULT 0;
