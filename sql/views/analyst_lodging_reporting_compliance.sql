-- Lodging reporting compliance: per lodging, the check-ins whose report time is known and
-- the share reported within the legal 24 hours (UU 6/2011 Pasal 72; the threshold of the
-- rule configuration), with the average and worst delay in hours.
CREATE VIEW analyst_lodging_reporting_compliance AS
SELECT
    c.lodging_id,
    l.lodging_name,
    c.region_code,
    r.name AS region_name,
    r.province_code,
    COUNT(*) AS check_ins,
    COUNT(c.reported_in_time) AS check_ins_with_report_time,
    SUM(c.reported_in_time) AS reported_in_time,
    CASE
        WHEN COUNT(c.reported_in_time) = 0 THEN NULL
        ELSE ROUND(CAST(SUM(c.reported_in_time) AS NUMERIC) * 1.0 / COUNT(c.reported_in_time), 4)
    END AS share_in_time,
    ROUND(CAST(AVG(c.report_delay_hours) AS NUMERIC), 1) AS average_delay_hours,
    ROUND(CAST(MAX(c.report_delay_hours) AS NUMERIC), 1) AS worst_delay_hours
FROM fact_check_in AS c
INNER JOIN dim_lodging AS l ON l.lodging_id = c.lodging_id
INNER JOIN dim_region AS r ON r.region_code = c.region_code
GROUP BY c.lodging_id, l.lodging_name, c.region_code, r.name, r.province_code;
