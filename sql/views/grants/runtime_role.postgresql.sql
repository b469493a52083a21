-- The runtime role (NOLOGIN: grant it to the login the review app and the DAG tasks use).
-- It reads and writes the warehouse's rows and owns nothing, so it cannot change the
-- schema, drop or disable the audit log's triggers, or set session_replication_role
-- (superusers only); and it may only add rows to the audit log, never change or delete
-- them. Migrations run as the owner (TIMPORA_WAREHOUSE_OWNER_URL). Applied after every
-- migration run, so tables that later migrations add are covered too.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'timpora_runtime') THEN
        CREATE ROLE timpora_runtime NOLOGIN;
    END IF;
END
$$;

-- ANALYZE needs the table's owner. The merges and the reconcile refresh the statistics of
-- the tables they just rewrote, so they call this instead, which runs as the owner and
-- analyzes nothing but the schema's own tables.
CREATE OR REPLACE FUNCTION timpora_analyze(target REGCLASS) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF (SELECT relnamespace FROM pg_class WHERE oid = target) <> 'public'::REGNAMESPACE THEN
        RAISE EXCEPTION 'timpora_analyze analyzes tables of the public schema only, not %', target;
    END IF;
    EXECUTE format('ANALYZE %s', target);
END;
$$;

REVOKE ALL ON FUNCTION timpora_analyze(REGCLASS) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION timpora_analyze(REGCLASS) TO timpora_runtime;

GRANT USAGE ON SCHEMA public TO timpora_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO timpora_runtime;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO timpora_runtime;
-- A warehouse migrated only part of the way (a test of the upgrade) may not have them yet.
DO $$
BEGIN
    IF TO_REGCLASS('audit_log') IS NOT NULL THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM timpora_runtime;
    END IF;
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migration FROM timpora_runtime;
END
$$;
