-- A new enum value can't be used in the transaction that adds it: this script
-- runs outside one (V16__add_refunded_status.sql.conf).
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';
