-- The flag fact: one row per flag with its rule, severity, status and disposition, the
-- person as a pseudonym, the region, and date keys (dim_date) of its first and last night,
-- when it was raised and when it was closed; join it to the other analyst views by
-- person_pseudonym, region_code or the date keys. No passport number, no name.
CREATE VIEW fact_flag AS
SELECT
    f.flag_id,
    f.rule_code,
    f.severity,
    f.priority,
    f.status,
    COALESCE(f.disposition, 'NONE') AS disposition,
    p.person_pseudonym,
    f.nationality AS nationality_code,
    f.region_code,
    f.province_code,
    first_day.date_key AS first_night_key,
    last_day.date_key AS last_night_key,
    f.night_count,
    raised_day.date_key AS raised_date_key,
    closed_day.date_key AS closed_date_key,
    f.rule_version
FROM flag AS f
LEFT JOIN dim_person AS p ON p.person_key = f.person_key
LEFT JOIN dim_date AS first_day ON first_day.day = f.first_night
LEFT JOIN dim_date AS last_day ON last_day.day = f.last_night
LEFT JOIN dim_date AS raised_day
    ON CAST(raised_day.day AS VARCHAR(10)) = SUBSTR(CAST(f.raised_at AS VARCHAR(30)), 1, 10)
LEFT JOIN dim_date AS closed_day
    ON CAST(closed_day.day AS VARCHAR(10)) = SUBSTR(CAST(f.closed_at AS VARCHAR(30)), 1, 10);
