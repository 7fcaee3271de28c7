INSERT INTO order_lines (order_id, sku, quantity)
    SELECT id, 'TEA-001', 3 FROM orders WHERE total = 42.00;
