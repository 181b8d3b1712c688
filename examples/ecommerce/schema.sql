-- E-commerce schema for the vers database-testing example.
--
-- Load into a fresh database:
--   psql -v ON_ERROR_STOP=1 -d app -f schema.sql
--
-- UUID primary keys use gen_random_uuid(), which is built into PostgreSQL 13+,
-- so no extension is required. seed-data.sql supplies explicit, deterministic
-- ids; the defaults are used only by rows the tests insert later.
--
-- Deliberately no secondary indexes on the foreign-key columns: the
-- performance pattern compares an unindexed branch against one where
-- add-indexes.sql has been applied.

CREATE TABLE users (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Nullable on purpose: the rollback pattern simulates corruption with
    -- "UPDATE users SET email = NULL", which NOT NULL would reject.
    email      VARCHAR(255) UNIQUE,
    name       VARCHAR(255) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT NOW()
);

CREATE TABLE products (
    id    UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name  VARCHAR(255) NOT NULL,
    price NUMERIC(10, 2) NOT NULL CHECK (price >= 0),
    stock INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0)
);

CREATE TABLE orders (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    UUID NOT NULL REFERENCES users(id),
    total      NUMERIC(12, 2) NOT NULL DEFAULT 0 CHECK (total >= 0),
    created_at TIMESTAMP NOT NULL DEFAULT NOW()
);

CREATE TABLE order_items (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Items belong to their order: deleting an order deletes its items.
    order_id   UUID NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    product_id UUID NOT NULL REFERENCES products(id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    price      NUMERIC(10, 2) NOT NULL CHECK (price >= 0)
);
