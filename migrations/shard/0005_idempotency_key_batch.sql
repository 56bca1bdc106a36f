-- The Idempotency-Key header of a batch (`POST …/messages/batch`) covers the whole batch: its key
-- row keeps the batch's messages in order as JSON, `[{"id": "…"}, {"id": "…", "replayed": true}, …]`
-- (replayed: that message's response in the first answer was itself a replay), and `message_id`
-- holds the first of them. NULL for the key of one message (single enqueue, batch item), whose
-- `message_id` says it all. See src/db/idempotency-keys.ts.
ALTER TABLE idempotency_keys ADD COLUMN batch TEXT;
