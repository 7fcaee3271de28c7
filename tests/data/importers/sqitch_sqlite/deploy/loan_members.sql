-- Deploy library:loan_members
-- requires: loans
-- requires: @v1.2.1 (members)

BEGIN;

ALTER TABLE loans ADD COLUMN member_id INTEGER;

COMMIT;
