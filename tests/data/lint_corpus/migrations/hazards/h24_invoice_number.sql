-- Invoice numbers, unique per account.
ALTER TABLE invoices ADD COLUMN number bigint;
CREATE UNIQUE INDEX invoices_number ON invoices (account_id, number);
