-- A login for the app and the DAG tasks, member of the runtime role (and nothing else);
-- run as the owner, after the migrations have created timpora_runtime. The name is
-- quoted by format(); the password travels as a bind value, which DO cannot take, so
-- through two settings of this transaction.
SELECT
    SET_CONFIG('timpora.login_name', :login_name, TRUE),
    SET_CONFIG('timpora.login_password', :login_password, TRUE);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_setting('timpora.login_name')) THEN
        EXECUTE format(
            'CREATE ROLE %I LOGIN PASSWORD %L IN ROLE timpora_runtime',
            current_setting('timpora.login_name'), current_setting('timpora.login_password')
        );
    ELSE
        EXECUTE format(
            'ALTER ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE',
            current_setting('timpora.login_name'), current_setting('timpora.login_password')
        );
        EXECUTE format('GRANT timpora_runtime TO %I', current_setting('timpora.login_name'));
    END IF;
END
$$;
