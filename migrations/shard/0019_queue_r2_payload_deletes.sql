-- R2 payloads whose message is gone and whose object is still to be deleted (issue 25's review).
-- Retention and tenant deletion delete message rows first and the R2 objects after; when R2 refused
-- the delete, the rows were gone and nothing remembered the objects, which stayed in R2 for good (a
-- deleted tenant's payloads included). The trigger queues the object in the same statement that
-- deletes its message, so every way of deleting a message remembers it; the deleting call and then
-- the sweeper delete the objects and take them off (src/ops/payload-purges.ts). It writes one row
-- for a message whose payload is in R2 (over R2_PAYLOAD_THRESHOLD_BYTES compressed), none for the
-- others and none on the enqueue or delivery path.
CREATE TABLE payload_purges (
  tenant_id  TEXT NOT NULL,
  message_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, message_id)
) WITHOUT ROWID;

CREATE TRIGGER messages_queue_r2_payload_delete AFTER DELETE ON messages WHEN OLD.payload_r2 = 1
BEGIN
  INSERT OR IGNORE INTO payload_purges (tenant_id, message_id) VALUES (OLD.tenant_id, OLD.id);
END;
