-- 001 up: users.premium_level (1 for users who signed up before 2024).
-- Safe to apply more than once (IF NOT EXISTS; the UPDATE only touches
-- rows that still need it). Same column as migrations/approach-a.js.
BEGIN;
ALTER TABLE users ADD COLUMN IF NOT EXISTS premium_level INTEGER DEFAULT 0;
UPDATE users SET premium_level = 1
WHERE created_at < '2024-01-01' AND premium_level IS DISTINCT FROM 1;
COMMIT;
