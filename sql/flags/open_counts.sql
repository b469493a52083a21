SELECT rule_code, COUNT(*) AS open_flags
FROM flag
WHERE status IN ('OPEN', 'IN_REVIEW', 'REOPENED')
GROUP BY rule_code
ORDER BY rule_code;
