-- 001 down: remove users.premium_level. Safe to apply more than once.
BEGIN;
ALTER TABLE users DROP COLUMN IF EXISTS premium_level;
COMMIT;
