INSERT INTO region (region_code, name, level, province_code, timezone)
VALUES (:region_code, :name, :level, :province_code, :timezone)
ON CONFLICT (region_code) DO UPDATE SET
    name = excluded.name,
    level = excluded.level,
    province_code = excluded.province_code,
    timezone = excluded.timezone;
