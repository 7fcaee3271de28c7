INSERT INTO orders (customer_id, total, status)
    SELECT id, 42.00, 'paid' FROM customers WHERE name = 'Ada';
