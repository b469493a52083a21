-- Merge staged visa files, second step (after history.sql).
-- The current visa is the highest record_version; among equal versions the one that
-- landed first. Recomputed from the whole history of the visas the files touched, so the
-- outcome does not depend on the order in which files are processed.
INSERT INTO visa (
    visa_number, record_version, visa_index, status, passport_number, passport_key,
    passport_country, nationality, surname, given_names, date_of_birth, sex, purpose,
    sponsor_name, sponsor_type, issued_at, valid_until, max_stay_days, ledger_id, line_no, row_hash
)
SELECT
    visa_number, record_version, visa_index, status, passport_number, passport_key,
    passport_country, nationality, surname, given_names, date_of_birth, sex, purpose,
    sponsor_name, sponsor_type, issued_at, valid_until, max_stay_days, ledger_id, line_no, row_hash
FROM (
    SELECT
        h.*,
        ROW_NUMBER() OVER (
            PARTITION BY h.visa_number ORDER BY h.record_version DESC, h.arrival_key ASC
        ) AS version_rank
    FROM visa_history AS h
    WHERE h.visa_number IN (SELECT s.visa_number FROM stg_visa AS s WHERE s.ledger_id IN :ledger_ids)
) AS ranked
WHERE version_rank = 1
ON CONFLICT (visa_number) DO UPDATE SET
    record_version = excluded.record_version,
    visa_index = excluded.visa_index,
    status = excluded.status,
    passport_number = excluded.passport_number,
    passport_key = excluded.passport_key,
    passport_country = excluded.passport_country,
    nationality = excluded.nationality,
    surname = excluded.surname,
    given_names = excluded.given_names,
    date_of_birth = excluded.date_of_birth,
    sex = excluded.sex,
    purpose = excluded.purpose,
    sponsor_name = excluded.sponsor_name,
    sponsor_type = excluded.sponsor_type,
    issued_at = excluded.issued_at,
    valid_until = excluded.valid_until,
    max_stay_days = excluded.max_stay_days,
    ledger_id = excluded.ledger_id,
    line_no = excluded.line_no,
    row_hash = excluded.row_hash
WHERE visa.row_hash <> excluded.row_hash;
