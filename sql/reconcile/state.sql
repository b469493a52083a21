SELECT as_of_date, nights_as_of, last_run_at, last_run_scope FROM reconcile_state WHERE state_id = 1;
