-- FIFO endpoints and ordering keys (CONTRACT.md "Delivery control"; docs/architecture.md "Ordering").
-- Numbered 0012: 0008 rebuilds deliveries with SELECT *, so these columns must come after it (0010 and 0011 are taken on other branches).
-- An endpoint's `ordering`: 'none' (the default, so existing endpoints keep today's behaviour) or 'fifo'.
ALTER TABLE endpoints ADD COLUMN ordering TEXT NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'fifo'));

-- A delivery to a FIFO endpoint takes its place in its order when it is stored: `ordering_key` is the
-- message's key ('' for messages without one) and `fifo_seq` its place, assigned inside the enqueue's
-- D1 write, so a delivery committed later always has a later place. Both stay NULL for every other
-- delivery, and a replay sets fifo_seq to NULL (a replay goes outside the order).
ALTER TABLE deliveries ADD COLUMN ordering_key TEXT;
ALTER TABLE deliveries ADD COLUMN fifo_seq INTEGER;

-- The open deliveries of each order, by place: the consumer finds the head of a delivery's order in
-- one seek of this index (src/db/delivery-work.ts), and enqueue the last place taken. One entry per
-- FIFO delivery while it is open, none for any other delivery.
CREATE INDEX deliveries_in_order ON deliveries (tenant_id, endpoint_id, ordering_key, fifo_seq)
  WHERE fifo_seq IS NOT NULL AND status IN ('scheduled', 'pending', 'retrying');
