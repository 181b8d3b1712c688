-- Alias for seed.sql, kept for the commands in README.md:
--
--   psql -v ON_ERROR_STOP=1 -d app -f seed-data.sql
--
-- \ir resolves seed.sql relative to this file, so it works from any
-- working directory.
\ir seed.sql
