-- Done: forget the dirty marks this run handled (a mark renewed during the run survives).
DELETE FROM reconcile_dirty WHERE claimed_by = :run_id;
DELETE FROM reconcile_scope WHERE run_id = :run_id;
