-- People as analysts may see them: a pseudonym (HMAC of the passport linking key under the
-- configured secret, stable across loads), nationality, sex and year of birth; with the
-- nights they spent in lodgings and how many of those no permit covered.
CREATE VIEW analyst_people AS
SELECT
    p.person_pseudonym,
    p.nationality_code,
    n.name AS nationality_name,
    p.sex,
    p.birth_year,
    COUNT(g.report_id) AS guest_nights,
    SUM(CASE WHEN g.covered_by_permit = 0 THEN 1 ELSE 0 END) AS uncovered_nights
FROM dim_person AS p
INNER JOIN dim_nationality AS n ON n.nationality_code = p.nationality_code
LEFT JOIN fact_guest_night AS g ON g.person_key = p.person_key
GROUP BY p.person_pseudonym, p.nationality_code, n.name, p.sex, p.birth_year;
