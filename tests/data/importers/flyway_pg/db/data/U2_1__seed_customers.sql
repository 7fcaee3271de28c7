DELETE FROM customers WHERE name IN ('Ada', 'Bo');
