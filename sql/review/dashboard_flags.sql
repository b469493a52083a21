-- Every flag of the scope raised in the period, with what the dashboard groups by: rule,
-- region, severity, holder, status, age and nights (the monitoring window filter).
SELECT f.flag_id, f.rule_code, f.region_code, f.province_code, f.severity, f.status, f.assignee,
       f.disposition, f.raised_at, f.closed_at, f.first_night, f.last_night
FROM flag AS f
WHERE (f.province_code = :scope OR f.region_code = :scope)
  AND f.status IN ('OPEN', 'REOPENED', 'IN_REVIEW', 'CLOSED')
  AND (CAST(:raised_from AS TIMESTAMP) IS NULL OR f.raised_at >= :raised_from)
  AND (CAST(:raised_until AS TIMESTAMP) IS NULL OR f.raised_at < :raised_until);
