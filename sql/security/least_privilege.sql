-- SQLite has no roles (see the PostgreSQL twin): nothing to report.
SELECT 'sqlite' AS login, 0 AS superuser, 0 AS owned, 0 AS audit_writable;
