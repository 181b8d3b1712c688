-- 002 up: orders.status, constrained to a fixed set of states and indexed.
-- Existing orders are all fulfilled, so they default to 'completed'.
-- Safe to apply more than once: the column and index use IF NOT EXISTS and
-- the CHECK constraint is dropped (if present) and re-added.
BEGIN;
ALTER TABLE orders
  ADD COLUMN IF NOT EXISTS status VARCHAR(20) NOT NULL DEFAULT 'completed';
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
  CHECK (status IN ('pending', 'paid', 'shipped', 'completed', 'cancelled'));
CREATE INDEX IF NOT EXISTS orders_status_idx ON orders (status);
COMMIT;
