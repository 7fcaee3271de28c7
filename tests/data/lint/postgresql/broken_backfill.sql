-- Backfill in one go.
UPDATE t
   SET a = 2
 WHER a IS NULL;
