SELECT region_code, province_code FROM flag WHERE flag_id = :flag_id;
