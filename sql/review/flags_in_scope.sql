SELECT flag_id, status, assignee FROM flag
WHERE flag_id IN :flag_ids AND (province_code = :scope OR region_code = :scope);
