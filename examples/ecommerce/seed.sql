-- Deterministic seed data for the e-commerce example.
--
--   psql -v ON_ERROR_STOP=1 -d app -f seed.sql
--
-- (seed-data.sql is an alias that includes this file; vers-integration.yaml
-- loads seed.sql directly in its "seeded" checkpoint.)
--
-- Every value is derived from the generate_series counter (ids are
-- md5('<kind>' || n)::uuid); nothing uses random() or now(), so the data
-- is byte-for-byte identical on every run (compare with checksum.sql).
--
--   users        2000  (1460 created before 2024-01-01, 540 on/after)
--   products      500
--   orders       5000  (orders.total = sum of its items)
--   order_items 12000  (orders 1-2000 have 3 items, the rest 2)

BEGIN;

-- Users: one every 6 hours from 2023-01-01, so users 1..1460 are from 2023
-- and users 1461..2000 from 2024-01-01 up to 2024-05-14.
INSERT INTO users (id, email, name, created_at)
SELECT md5('user' || i)::uuid,
       'user' || i || '@example.com',
       (ARRAY['Alice', 'Bob', 'Carol', 'Dave', 'Erin',
              'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy'])[1 + i % 10]
         || ' ' ||
       (ARRAY['Smith', 'Jones', 'Garcia', 'Miller', 'Davis',
              'Lopez', 'Wilson', 'Moore', 'Clark', 'Young'])[1 + (i / 10) % 10],
       TIMESTAMP '2023-01-01 00:00:00' + (i - 1) * INTERVAL '6 hours'
FROM generate_series(1, 2000) AS i;

INSERT INTO products (id, name, price, stock)
SELECT md5('product' || i)::uuid,
       (ARRAY['Classic', 'Deluxe', 'Compact', 'Eco', 'Pro',
              'Ultra', 'Mini', 'Smart', 'Vintage', 'Travel'])[1 + i % 10]
         || ' ' ||
       (ARRAY['Mug', 'Lamp', 'Backpack', 'Keyboard', 'Notebook',
              'Kettle', 'Chair', 'Headphones', 'Bottle', 'Blanket'])[1 + (i / 10) % 10]
         || ' #' || i,
       round(1 + ((i * 7919) % 20000) / 100.0, 2),
       10 + (i * 31) % 240
FROM generate_series(1, 500) AS i;

-- Orders: order i belongs to user 1 + (i*7) % 2000 (every user gets 2 or 3
-- orders) and is placed 0-119 days after that user signed up.
-- total is filled in from the items below.
INSERT INTO orders (id, user_id, total, created_at)
SELECT md5('order' || i)::uuid,
       md5('user' || (1 + (i * 7) % 2000))::uuid,
       0,
       TIMESTAMP '2023-01-01 00:00:00'
         + ((i * 7) % 2000) * INTERVAL '6 hours'
         + (i % 120) * INTERVAL '1 day'
         + ((i * 13) % 1440) * INTERVAL '1 minute'
FROM generate_series(1, 5000) AS i;

-- Order items: item i belongs to order 1 + (i-1) % 5000 and records the
-- product's price at the time of the order.
INSERT INTO order_items (id, order_id, product_id, quantity, price)
SELECT md5('order_item' || g.i)::uuid,
       md5('order' || (1 + (g.i - 1) % 5000))::uuid,
       p.id,
       1 + g.i % 5,
       p.price
FROM generate_series(1, 12000) AS g(i)
JOIN products p
  ON p.id = md5('product' || (1 + (g.i * 13 + ((g.i - 1) / 5000) * 7) % 500))::uuid;

UPDATE orders o
SET total = s.total
FROM (SELECT order_id, sum(quantity * price) AS total
      FROM order_items
      GROUP BY order_id) s
WHERE o.id = s.order_id;

COMMIT;

ANALYZE users, products, orders, order_items;
