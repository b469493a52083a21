INSERT INTO reconcile_state (state_id, as_of_date, nights_as_of, last_run_at, last_run_scope)
VALUES (1, :as_of_date, :as_of_date, :now, :scope_size)
ON CONFLICT (state_id) DO UPDATE SET
    as_of_date = excluded.as_of_date,
    nights_as_of = excluded.nights_as_of,
    last_run_at = excluded.last_run_at,
    last_run_scope = excluded.last_run_scope;
