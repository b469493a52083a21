-- Merge staged permit files (one, or a group of small ones: :ledger_ids). Each distinct
-- row not seen before joins the history; an exact duplicate (same normalised content, in
-- these files or earlier ones) hits the unique row hash and is skipped: a copy stored by an
-- earlier merge is kept, and among these files' copies the one that landed first.
INSERT INTO stay_permit_history (
    ledger_id, line_no, row_hash, arrival_key, permit_number, record_version, permit_type, status,
    visa_number, passport_number, passport_key, nationality, surname, given_names, date_of_birth,
    sex, activity, sponsor_name, sponsor_type, region_code, address, valid_from, valid_until,
    office_code, updated_at
)
SELECT
    ledger_id, line_no, row_hash, arrival_key, permit_number, record_version, permit_type, status,
    visa_number, passport_number, passport_key, nationality, surname, given_names, date_of_birth,
    sex, activity, sponsor_name, sponsor_type, region_code, address, valid_from, valid_until,
    office_code, updated_at
FROM stg_stay_permit
WHERE ledger_id IN :ledger_ids
-- In landing order (date, key, version, line): a row repeated across the group's files is
-- kept in the file that landed first, as it would be had the files come in separate runs.
ORDER BY arrival_key
ON CONFLICT (row_hash) DO NOTHING;
