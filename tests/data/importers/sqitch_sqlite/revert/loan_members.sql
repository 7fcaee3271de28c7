-- Revert library:loan_members

BEGIN;

ALTER TABLE loans DROP COLUMN member_id;

COMMIT;
