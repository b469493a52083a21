-- Overstays by region and month: OVERSTAY flags (a permit ended, or was cancelled or
-- revoked, before the nights), the people and nights they cover, and how many are still
-- open. Month is that of the first uncovered night.
CREATE VIEW analyst_overstays_by_region AS
SELECT
    f.region_code,
    r.name AS region_name,
    f.province_code,
    d.month_label AS month,
    COUNT(*) AS flags,
    COUNT(DISTINCT f.person_key) AS people,
    SUM(f.night_count) AS nights,
    SUM(CASE WHEN f.status IN ('OPEN', 'IN_REVIEW', 'REOPENED') THEN 1 ELSE 0 END) AS open_flags
FROM flag AS f
INNER JOIN dim_region AS r ON r.region_code = f.region_code
INNER JOIN dim_date AS d ON d.day = f.first_night
WHERE f.rule_code = 'OVERSTAY' AND f.status <> 'CLEARED'
GROUP BY f.region_code, r.name, f.province_code, d.month_label;
