-- What the role the app and the DAG tasks connect as may do that it must not, in
-- production: be a superuser, own (or be a member of the owner of) a table or view, or
-- change or remove audit rows.
SELECT
    CURRENT_USER AS login,
    (SELECT r.rolsuper FROM pg_roles AS r WHERE r.rolname = CURRENT_USER) AS superuser,
    (
        SELECT COUNT(*)
        FROM pg_class AS c
        INNER JOIN pg_namespace AS n ON c.relnamespace = n.oid
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p', 'm')
          AND PG_HAS_ROLE(CURRENT_USER, c.relowner, 'MEMBER')
    ) AS owned,
    HAS_TABLE_PRIVILEGE(CURRENT_USER, 'audit_log', 'UPDATE')
    OR HAS_TABLE_PRIVILEGE(CURRENT_USER, 'audit_log', 'DELETE') AS audit_writable;
