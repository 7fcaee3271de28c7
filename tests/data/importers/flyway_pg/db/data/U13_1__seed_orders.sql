DELETE FROM orders WHERE total = 42.00 AND status = 'paid';
