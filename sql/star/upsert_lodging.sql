INSERT INTO dim_lodging (lodging_id, lodging_name, region_code)
SELECT s.lodging_id, MAX(s.lodging_name), MAX(s.lodging_region_code)
FROM guest_stay AS s
INNER JOIN reconcile_scope AS sc ON sc.person_key = s.passport_key
WHERE s.lodging_id IS NOT NULL  -- a WHERE keeps SQLite from reading ON CONFLICT as a join
GROUP BY s.lodging_id
ON CONFLICT (lodging_id) DO UPDATE SET
    lodging_name = excluded.lodging_name,
    region_code = excluded.region_code;
