-- Merge staged permit files, second step (after history.sql).
-- The current permit is the highest record_version (an extension or correction); among
-- equal versions the one that landed first. Recomputed from the whole history of the
-- permits the files touched, so the outcome does not depend on processing order.
INSERT INTO stay_permit (
    permit_number, record_version, permit_type, status, visa_number, passport_number,
    passport_key, nationality, surname, given_names, date_of_birth, sex, activity, sponsor_name,
    sponsor_type, region_code, address, valid_from, valid_until, office_code, updated_at,
    ledger_id, line_no, row_hash
)
SELECT
    permit_number, record_version, permit_type, status, visa_number, passport_number,
    passport_key, nationality, surname, given_names, date_of_birth, sex, activity, sponsor_name,
    sponsor_type, region_code, address, valid_from, valid_until, office_code, updated_at,
    ledger_id, line_no, row_hash
FROM (
    SELECT
        h.*,
        ROW_NUMBER() OVER (
            PARTITION BY h.permit_number ORDER BY h.record_version DESC, h.arrival_key ASC
        ) AS version_rank
    FROM stay_permit_history AS h
    WHERE h.permit_number IN (
        SELECT s.permit_number FROM stg_stay_permit AS s WHERE s.ledger_id IN :ledger_ids
    )
) AS ranked
WHERE version_rank = 1
ON CONFLICT (permit_number) DO UPDATE SET
    record_version = excluded.record_version,
    permit_type = excluded.permit_type,
    status = excluded.status,
    visa_number = excluded.visa_number,
    passport_number = excluded.passport_number,
    passport_key = excluded.passport_key,
    nationality = excluded.nationality,
    surname = excluded.surname,
    given_names = excluded.given_names,
    date_of_birth = excluded.date_of_birth,
    sex = excluded.sex,
    activity = excluded.activity,
    sponsor_name = excluded.sponsor_name,
    sponsor_type = excluded.sponsor_type,
    region_code = excluded.region_code,
    address = excluded.address,
    valid_from = excluded.valid_from,
    valid_until = excluded.valid_until,
    office_code = excluded.office_code,
    updated_at = excluded.updated_at,
    ledger_id = excluded.ledger_id,
    line_no = excluded.line_no,
    row_hash = excluded.row_hash
WHERE stay_permit.row_hash <> excluded.row_hash;
