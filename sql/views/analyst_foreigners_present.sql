-- Foreigners present per region and day: how many people spent the night in a lodging of
-- the regency/city, by nationality and by the type of stay permit covering the night
-- (NONE: no permit covers it). Source: guest nights (lodging reports).
CREATE VIEW analyst_foreigners_present AS
SELECT
    d.day,
    r.region_code,
    r.name AS region_name,
    r.province_code,
    g.nationality_code,
    COALESCE(g.permit_type, 'NONE') AS permit_type,
    COUNT(DISTINCT g.person_key) AS people,
    COUNT(*) AS guest_nights
FROM fact_guest_night AS g
INNER JOIN dim_date AS d ON d.date_key = g.date_key
INNER JOIN dim_region AS r ON r.region_code = g.region_code
GROUP BY d.day, r.region_code, r.name, r.province_code, g.nationality_code, COALESCE(g.permit_type, 'NONE');
