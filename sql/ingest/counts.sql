-- Per file of a merge: rows staged, rows the merge kept (the rest were exact duplicates)
-- and rows quarantined, for the conservation check. A file's rows are in its own feed's
-- tables only; the others count none.
-- Each table is counted for the merge's files at once with their ledger ids as values, so
-- the planner estimates a file's rows from the ledger id's statistics and probes the
-- (ledger_id, line_no) key. A count correlated with file_ledger (ledger_id = l.ledger_id)
-- is planned for an unknown id, at the column's average rows per file: where the history
-- came in a few large files (a migration, the benchmark's year) that is most of the table,
-- and PostgreSQL read all two million visas for every file merged, 0.25 s each.
SELECT
    l.ledger_id,
    COALESCE(staged.row_count, 0) AS staged,
    COALESCE(loaded.row_count, 0) AS loaded,
    COALESCE(quarantined.row_count, 0) AS quarantined
FROM file_ledger AS l
LEFT JOIN (
    SELECT s.ledger_id, COUNT(*) AS row_count
    FROM stg_visa AS s
    WHERE s.ledger_id IN :ledger_ids
    GROUP BY s.ledger_id
    UNION ALL
    SELECT s.ledger_id, COUNT(*)
    FROM stg_stay_permit AS s
    WHERE s.ledger_id IN :ledger_ids
    GROUP BY s.ledger_id
    UNION ALL
    SELECT s.ledger_id, COUNT(*)
    FROM stg_hotel_guest_event AS s
    WHERE s.ledger_id IN :ledger_ids
    GROUP BY s.ledger_id
) AS staged ON staged.ledger_id = l.ledger_id
LEFT JOIN (
    SELECT h.ledger_id, COUNT(*) AS row_count
    FROM visa_history AS h
    WHERE h.ledger_id IN :ledger_ids
    GROUP BY h.ledger_id
    UNION ALL
    SELECT h.ledger_id, COUNT(*)
    FROM stay_permit_history AS h
    WHERE h.ledger_id IN :ledger_ids
    GROUP BY h.ledger_id
    UNION ALL
    SELECT h.ledger_id, COUNT(*)
    FROM hotel_guest_event AS h
    WHERE h.ledger_id IN :ledger_ids
    GROUP BY h.ledger_id
) AS loaded ON loaded.ledger_id = l.ledger_id
LEFT JOIN (
    SELECT q.ledger_id, COUNT(*) AS row_count
    FROM quarantine AS q
    WHERE q.ledger_id IN :ledger_ids AND q.scope = 'row'
    GROUP BY q.ledger_id
) AS quarantined ON quarantined.ledger_id = l.ledger_id
WHERE l.ledger_id IN :ledger_ids;
