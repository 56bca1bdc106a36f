-- Leaner rows (issue 25). A 4 KiB extraction payload compresses to ~915 bytes, and its message row
-- with the message id, its one target and its time as text came to ~1,055 bytes: three rows fitted a
-- 4,096-byte page and ~900 bytes of every page stayed empty (~300 bytes per message). New rows store
-- those three columns packed, so four rows fit a page; rows written before this migration keep their
-- text, and both read the same through the generated columns below. No row is rewritten: renaming a
-- column and adding a VIRTUAL generated column only change the schema.
--
-- packed_id: the message id as text (old rows), or as a 6-byte BLOB (new rows) of the id's hex digits
-- that its row key does not carry (13–16 and 21–27: sequence and random bits, then a 0 for a whole
-- byte); src/lib/ids.ts packedMessageId. The key gives the time and the tenant bucket (ids.ts layout).
-- packed_targets: the JSON array as text, or, for a message with one target whose id is a canonical
-- lowercase UUID, that id as a 16-byte BLOB.
-- packed_created_at: epoch ms, or 0 when it is the millisecond the row key carries (every new row).
-- D1 supports VIRTUAL generated columns, computed when read, added by ALTER TABLE too:
-- https://developers.cloudflare.com/d1/reference/generated-columns/
ALTER TABLE messages RENAME COLUMN id TO packed_id;
ALTER TABLE messages RENAME COLUMN targets TO packed_targets;
ALTER TABLE messages RENAME COLUMN created_at TO packed_created_at;

-- 1735689600000 = KEY_EPOCH_MS (2025-01-01T00:00:00Z, src/lib/ids.ts); 1099511627775 = 2^40 - 1.
ALTER TABLE messages ADD COLUMN created_at INTEGER GENERATED ALWAYS AS (
  CASE WHEN packed_created_at = 0 THEN 1735689600000 + ((key >> 7) & 1099511627775) ELSE packed_created_at END) VIRTUAL;

ALTER TABLE messages ADD COLUMN id TEXT GENERATED ALWAYS AS (
  CASE WHEN typeof(packed_id) = 'blob' THEN
    printf('%08x-%04x-7', (1735689600000 + ((key >> 7) & 1099511627775)) >> 16, (1735689600000 + ((key >> 7) & 1099511627775)) & 65535)
    || substr(lower(hex(packed_id)), 1, 3) || '-' || substr(lower(hex(packed_id)), 4, 1)
    || printf('%03x-%x', key >> 51, (key >> 47) & 15) || substr(lower(hex(packed_id)), 5, 7) || '0000'
  ELSE packed_id END) VIRTUAL;

ALTER TABLE messages ADD COLUMN targets TEXT GENERATED ALWAYS AS (
  CASE WHEN typeof(packed_targets) = 'blob' THEN
    json_array(substr(lower(hex(packed_targets)), 1, 8) || '-' || substr(lower(hex(packed_targets)), 9, 4) || '-'
      || substr(lower(hex(packed_targets)), 13, 4) || '-' || substr(lower(hex(packed_targets)), 17, 4) || '-' || substr(lower(hex(packed_targets)), 21, 12))
  ELSE packed_targets END) VIRTUAL;

-- packed_queue_token: a delivery's queue token as its 16 hex digits (old rows), or as their 8 bytes
-- (rows and tokens written since: src/db/sql.ts SQL_QUEUE_TOKEN). 8 bytes less per delivery.
-- A later rebuild of either table must copy the stored columns by name: SELECT * now includes the
-- generated ones.
ALTER TABLE deliveries RENAME COLUMN queue_token TO packed_queue_token;
ALTER TABLE deliveries ADD COLUMN queue_token TEXT GENERATED ALWAYS AS (
  CASE WHEN typeof(packed_queue_token) = 'blob' THEN lower(hex(packed_queue_token)) ELSE packed_queue_token END) VIRTUAL;
