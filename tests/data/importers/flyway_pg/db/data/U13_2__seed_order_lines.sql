DELETE FROM order_lines WHERE sku = 'TEA-001';
