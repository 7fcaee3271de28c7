DROP INDEX visits_member;
DROP TABLE visits;
