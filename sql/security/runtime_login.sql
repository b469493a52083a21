-- SQLite has no logins: the warehouse file's permissions are the boundary.
SELECT 1;
