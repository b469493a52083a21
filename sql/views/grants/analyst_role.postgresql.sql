-- The analyst role (NOLOGIN: grant it to analysts' own logins) may use the schema and,
-- through the grants that follow for each view, read the analyst views and nothing else.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'analyst') THEN
        CREATE ROLE analyst NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO analyst;
