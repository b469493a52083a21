SELECT
    f.flag_id, f.rule_code, f.subject_key, f.person_key, f.severity, f.priority, f.status,
    f.disposition, f.passport_number, f.nationality, f.report_ids, f.lodging_id, f.region_code,
    f.province_code, f.first_night, f.last_night, f.night_count, f.reason_id, f.reason_en,
    f.evidence, f.rule_version, f.raised_at, f.updated_at, f.cleared_at, f.clear_note, f.assignee,
    f.claimed_at, f.closed_at, f.closed_by, f.close_note
FROM flag AS f
WHERE f.flag_id = :flag_id AND (f.province_code = :scope OR f.region_code = :scope);
