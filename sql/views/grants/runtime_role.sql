-- SQLite has no roles: the file's permissions are the only boundary (see the README).
SELECT 1;
