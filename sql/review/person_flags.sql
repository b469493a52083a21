-- The person's other flags in the user's scope (the flag page's linked flags): same
-- passport key, any rule, newest first.
SELECT
    f.flag_id, f.rule_code, f.severity, f.status, f.assignee, f.region_code, f.first_night,
    f.last_night, f.raised_at, f.report_ids
FROM flag AS f
WHERE f.person_key = :person_key AND f.flag_id <> :flag_id
  AND (f.province_code = :scope OR f.region_code = :scope)
ORDER BY f.raised_at DESC, f.flag_id
LIMIT 50;
