DROP INDEX CONCURRENTLY orders_placed_at_idx;
DROP INDEX CONCURRENTLY orders_customer_idx;
