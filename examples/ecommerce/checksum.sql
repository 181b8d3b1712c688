-- Row count and content checksum of each table, for comparing exact state
-- (e.g. a branch or rollback against the committed baseline):
--
--   psql -At -d app -f checksum.sql
--   users|2000|<md5>
--   products|500|<md5>
--   orders|5000|<md5>
--   order_items|12000|<md5>
--
-- The checksum is md5 over every row's text form, ordered by id. It covers
-- all columns, so a schema change (e.g. a new column) changes it too.
-- DateStyle is pinned so timestamps render the same under any client/server
-- configuration; QUIET suppresses the "SET" status line.
\set QUIET on
SET datestyle = 'ISO, MDY';

SELECT name, n, checksum
FROM (
    SELECT 1 AS ord, 'users' AS name, count(*) AS n,
           md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) AS checksum
    FROM users t
    UNION ALL
    SELECT 2, 'products', count(*),
           md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), ''))
    FROM products t
    UNION ALL
    SELECT 3, 'orders', count(*),
           md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), ''))
    FROM orders t
    UNION ALL
    SELECT 4, 'order_items', count(*),
           md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), ''))
    FROM order_items t
) s
ORDER BY ord;
