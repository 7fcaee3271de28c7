ALTER TABLE customers DROP CONSTRAINT customers_email_lower;
DROP INDEX CONCURRENTLY customers_email_idx;
