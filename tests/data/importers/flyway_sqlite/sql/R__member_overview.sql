CREATE VIEW member_overview AS SELECT id, email FROM members;
