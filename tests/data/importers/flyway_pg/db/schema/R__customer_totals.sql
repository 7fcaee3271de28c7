CREATE OR REPLACE VIEW customer_totals AS
    SELECT customer_id, sum(total) AS total FROM orders GROUP BY customer_id;
