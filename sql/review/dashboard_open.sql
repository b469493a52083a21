-- Open flags per rule and region within the scope.
SELECT f.rule_code, f.region_code, COUNT(*) AS open_flags
FROM flag AS f
WHERE (f.province_code = :scope OR f.region_code = :scope)
  AND f.status IN ('OPEN', 'REOPENED', 'IN_REVIEW')
GROUP BY f.rule_code, f.region_code
ORDER BY f.rule_code, f.region_code;
