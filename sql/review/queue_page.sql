-- One page of the queue within the user's region scope: by priority (then age), or by age.
SELECT
    f.flag_id, f.rule_code, f.severity, f.priority, f.status, f.disposition, f.person_key, f.passport_number,
    f.nationality, f.report_ids, f.lodging_id, f.region_code, f.province_code, f.first_night,
    f.last_night, f.night_count, f.reason_id, f.reason_en, f.assignee, f.raised_at, f.updated_at,
    f.closed_at
FROM flag AS f
WHERE (f.province_code = :scope OR f.region_code = :scope)
  AND (CAST(:rule_code AS VARCHAR(30)) IS NULL OR f.rule_code = :rule_code)
  AND (CAST(:status AS VARCHAR(12)) IS NULL OR f.status = :status)
  AND (CAST(:open_only AS INTEGER) = 0 OR f.status IN ('OPEN', 'REOPENED', 'IN_REVIEW'))
  AND (CAST(:severity AS VARCHAR(10)) IS NULL OR f.severity = :severity)
  AND (CAST(:region AS VARCHAR(5)) IS NULL OR f.region_code = :region OR f.province_code = :region)
  AND (CAST(:assignee AS VARCHAR(60)) IS NULL OR f.assignee = :assignee)
  AND (CAST(:window_from AS DATE) IS NULL OR (
        f.first_night <= :window_until AND COALESCE(f.last_night, f.first_night) >= :window_from
        AND (f.province_code IN :window_regions OR f.region_code IN :window_regions)))
ORDER BY
    CASE WHEN :sort = 'age' THEN f.first_night END,
    f.priority DESC,
    f.first_night,
    f.flag_id
LIMIT :limit OFFSET :offset;
