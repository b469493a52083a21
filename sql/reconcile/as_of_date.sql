-- The as-of date: the landing date of the newest file processed (never the wall clock).
SELECT MAX(landing_date) AS as_of_date FROM file_ledger WHERE status = 'LOADED';
