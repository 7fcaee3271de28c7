CREATE UNIQUE INDEX members_email ON members (email);
