-- Merge staged lodging files (one, or a group of small ones: :ledger_ids), first step:
-- new events join the history (exact duplicates do not) and the stays the files touched
-- are listed, once each, under the merge's key (:merge_id, its first file's ledger id);
-- then analyze_touched.sql, marks.sql and fold.sql mark their people and fold them again.

-- An exact duplicate (same normalised content, in this file or an earlier one) hits the
-- unique row hash and is skipped: a copy stored by an earlier merge is kept, and among these
-- files' copies the one that landed first.
INSERT INTO hotel_guest_event (
    ledger_id, line_no, row_hash, arrival_key, report_id, event, lodging_id, lodging_name,
    lodging_region_code, guest_surname, guest_given_names, sex, date_of_birth, nationality,
    nationality_raw, passport_number, passport_number_raw, passport_key, passport_expiry,
    check_in_local, check_in_utc, check_in_epoch, check_in_date, check_out_local, check_out_utc,
    check_out_epoch, check_out_date, room, occupation, purpose_of_visit, reported_at_local,
    reported_at_utc, reported_at_epoch, mrz_line1, mrz_line2
)
SELECT
    ledger_id, line_no, row_hash, arrival_key, report_id, event, lodging_id, lodging_name,
    lodging_region_code, guest_surname, guest_given_names, sex, date_of_birth, nationality,
    nationality_raw, passport_number, passport_number_raw, passport_key, passport_expiry,
    check_in_local, check_in_utc, check_in_epoch, check_in_date, check_out_local, check_out_utc,
    check_out_epoch, check_out_date, room, occupation, purpose_of_visit, reported_at_local,
    reported_at_utc, reported_at_epoch, mrz_line1, mrz_line2
FROM stg_hotel_guest_event
WHERE ledger_id IN :ledger_ids
-- In landing order (date, key, version, line): a row repeated across the group's files is
-- kept in the file that landed first, as it would be had the files come in separate runs.
ORDER BY arrival_key
ON CONFLICT (row_hash) DO NOTHING;

DELETE FROM merge_touched_report WHERE ledger_id = :merge_id;

-- One row per stay even when several files of the group report it: the fold joins the
-- list with the events, and a stay listed twice would count its events twice.
INSERT INTO merge_touched_report (ledger_id, report_id)
SELECT DISTINCT CAST(:merge_id AS VARCHAR(32)), report_id
FROM stg_hotel_guest_event
WHERE ledger_id IN :ledger_ids;
