-- Monitoring-window summaries: per window of the rule configuration (e.g. Pilkada 2024 in
-- province 16, 25 Sep to 16 Dec 2024) and rule, the flags in the window's regions whose
-- nights overlap its dates, the people concerned, and how they were handled.
CREATE VIEW analyst_monitoring_window_summary AS
SELECT
    w.name AS window_name,
    w.date_from,
    w.date_until,
    f.rule_code,
    COUNT(*) AS flags,
    COUNT(DISTINCT f.person_key) AS people,
    SUM(CASE WHEN f.status IN ('OPEN', 'IN_REVIEW', 'REOPENED') THEN 1 ELSE 0 END) AS open_flags,
    SUM(CASE WHEN f.disposition = 'CONFIRMED_VIOLATION' THEN 1 ELSE 0 END) AS confirmed_violations,
    SUM(CASE WHEN f.disposition = 'FALSE_POSITIVE' THEN 1 ELSE 0 END) AS false_positives
FROM monitoring_window AS w
INNER JOIN flag AS f
    ON (f.province_code = w.region_prefix OR f.region_code = w.region_prefix)
    AND f.first_night <= w.date_until
    AND COALESCE(f.last_night, f.first_night) >= w.date_from
WHERE f.status <> 'CLEARED'
GROUP BY w.name, w.date_from, w.date_until, f.rule_code;
