-- Flags by rule, region, status and disposition: how many, about how many people, and
-- how many nights they concern. Cleared flags (resolved by later data) are included with
-- their status, so rates can be computed either way.
CREATE VIEW analyst_flags_summary AS
SELECT
    f.rule_code,
    f.severity,
    f.region_code,
    r.name AS region_name,
    f.province_code,
    f.status,
    COALESCE(f.disposition, 'NONE') AS disposition,
    COUNT(*) AS flags,
    COUNT(DISTINCT f.person_key) AS people,
    SUM(COALESCE(f.night_count, 0)) AS nights
FROM flag AS f
INNER JOIN dim_region AS r ON r.region_code = f.region_code
GROUP BY f.rule_code, f.severity, f.region_code, r.name, f.province_code, f.status, COALESCE(f.disposition, 'NONE');
