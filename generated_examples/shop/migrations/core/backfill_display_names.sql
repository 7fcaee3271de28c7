-- Users without a display name get a neutral placeholder they can change later.
UPDATE users
SET display_name = 'user-' || id
WHERE display_name IS NULL;
