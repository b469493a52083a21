-- New flags. Existing ones are left to update_changed. ON CONFLICT, not NOT EXISTS against
-- the flag table: an anti-join over the table the same statement fills was planned as
-- a sequential scan per candidate when the table's statistics said it was empty.
INSERT INTO flag (
    flag_id, rule_code, subject_key, person_key, severity, priority, status, passport_number,
    nationality, report_ids, lodging_id, region_code, province_code, first_night, last_night,
    night_count, reason_id, reason_en, evidence, evidence_hash, material_hash, rule_version, raised_at, updated_at
)
SELECT
    c.flag_id, c.rule_code, c.subject_key, c.person_key, c.severity, c.priority, 'OPEN',
    c.passport_number, c.nationality, c.report_ids, c.lodging_id, c.region_code, c.province_code,
    c.first_night, c.last_night, c.night_count, c.reason_id, c.reason_en, c.evidence,
    c.evidence_hash, c.material_hash, c.rule_version, :now, :now
FROM flag_candidate AS c
WHERE c.flag_id IS NOT NULL  -- a WHERE keeps SQLite from reading ON CONFLICT as a join
ON CONFLICT (flag_id) DO NOTHING;
