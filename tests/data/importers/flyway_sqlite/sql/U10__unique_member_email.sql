DROP INDEX members_email;
