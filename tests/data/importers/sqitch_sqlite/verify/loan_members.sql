-- Verify library:loan_members

BEGIN;

SELECT member_id FROM loans WHERE 0;

ROLLBACK;
