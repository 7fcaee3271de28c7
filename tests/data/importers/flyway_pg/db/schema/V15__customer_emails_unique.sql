-- A unique email per customer: the column first, then its index, concurrently.
UPDATE customers SET email = lower(email) WHERE email <> lower(email);
ALTER TABLE customers ADD CONSTRAINT customers_email_lower CHECK (email = lower(email)) NOT VALID;

CREATE UNIQUE INDEX CONCURRENTLY customers_email_idx ON customers (email);

ALTER TABLE customers VALIDATE CONSTRAINT customers_email_lower;
