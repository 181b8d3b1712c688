-- 002 down: remove orders.status (its CHECK constraint goes with it).
-- Safe to apply more than once.
BEGIN;
DROP INDEX IF EXISTS orders_status_idx;
ALTER TABLE orders DROP COLUMN IF EXISTS status;
COMMIT;
