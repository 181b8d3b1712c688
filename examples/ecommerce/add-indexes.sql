-- Secondary indexes for the performance pattern: apply on one branch
-- (psql -d app -f add-indexes.sql) and compare test-performance.js output
-- against an unindexed branch.
CREATE INDEX IF NOT EXISTS orders_user_id_idx ON orders (user_id);
CREATE INDEX IF NOT EXISTS orders_created_at_idx ON orders (created_at);
CREATE INDEX IF NOT EXISTS order_items_order_id_idx ON order_items (order_id);
CREATE INDEX IF NOT EXISTS order_items_product_id_idx ON order_items (product_id);
ANALYZE orders, order_items;
