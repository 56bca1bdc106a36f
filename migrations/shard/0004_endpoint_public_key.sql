-- The public key (`whpk_…`) of an ed25519 endpoint's current signing key, shown with the endpoint
-- so listing endpoints reads no secrets from KV. Not a secret: receivers verify with it. NULL for
-- the HMAC schemes. Written in the same UPDATE that claims a rotation's version
-- (src/ops/secret-rotation.ts), so it never disagrees with the key that rotation stores.
ALTER TABLE endpoints ADD COLUMN public_key TEXT;
