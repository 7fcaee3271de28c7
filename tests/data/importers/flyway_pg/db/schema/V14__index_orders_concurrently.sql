-- Built without blocking writes; Flyway runs this script outside a transaction.
CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
CREATE INDEX CONCURRENTLY orders_placed_at_idx ON orders (placed_at);
DROP INDEX CONCURRENTLY IF EXISTS orders_legacy_idx;
