-- Flags for listing and export, highest priority first; every filter is optional.
SELECT
    flag_id, rule_code, severity, priority, status, disposition, passport_number, nationality,
    report_ids, lodging_id, region_code, province_code, first_night, last_night, night_count,
    reason_id, reason_en, evidence, rule_version, raised_at, updated_at, cleared_at, clear_note
FROM flag
WHERE (CAST(:rule_code AS VARCHAR(30)) IS NULL OR rule_code = :rule_code)
  AND (CAST(:status AS VARCHAR(12)) IS NULL OR status = :status)
  AND (CAST(:region_prefix AS VARCHAR(5)) IS NULL
       OR region_code = :region_prefix OR region_code LIKE :region_like)
ORDER BY priority DESC, first_night, flag_id;
