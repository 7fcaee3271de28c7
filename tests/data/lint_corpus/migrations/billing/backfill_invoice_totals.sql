-- 500 invoices a batch: each batch is a short transaction of its own.
UPDATE invoices i
SET total_cents = (SELECT coalesce(sum(amount_cents), 0) FROM invoice_lines l WHERE l.invoice_id = i.id)
WHERE i.id IN (SELECT id FROM invoices WHERE total_cents IS NULL LIMIT 500);
