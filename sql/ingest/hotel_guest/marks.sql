-- Merge staged lodging files, third step (after history.sql and analyze_touched.sql),
-- before fold.sql changes the stays.
-- Everyone these stays named, before these files (the stay as it stands) and in them, is
-- re-examined by the next reconcile: a correction moves a stay from one passport to another.
INSERT INTO reconcile_dirty (person_key, marked_by, documents_changed)
SELECT people.person_key, CAST(:merge_id AS VARCHAR(32)), 0
FROM (
    SELECT s.passport_key AS person_key
    FROM stg_hotel_guest_event AS s
    WHERE s.ledger_id IN :ledger_ids
    UNION
    SELECT g.passport_key
    FROM guest_stay AS g
    INNER JOIN merge_touched_report AS t ON t.report_id = g.report_id AND t.ledger_id = :merge_id
) AS people
WHERE people.person_key IS NOT NULL
-- In key order, as every writer of marks: two ingests marking the same people in opposite
-- orders would deadlock.
ORDER BY people.person_key
-- Renewing a mark locks its row: a reconcile claiming the marks right now leaves it for
-- the next run, which sees this file's rows. A mark that says a permit or visa changed
-- keeps saying so.
ON CONFLICT (person_key) DO UPDATE SET marked_by = excluded.marked_by;
