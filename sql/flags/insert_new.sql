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
WHERE NOT EXISTS (SELECT 1 FROM flag AS f WHERE f.flag_id = c.flag_id);
