-- SQLite has no roles: analysts get the views through their own read-only file access.
SELECT 1;
