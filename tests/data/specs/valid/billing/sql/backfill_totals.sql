UPDATE orders SET total_cents = 0 WHERE total_cents IS NULL;
