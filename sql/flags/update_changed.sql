-- New evidence updates a flag in place. A flag cleared earlier and raised again opens
-- again; a closed flag comes back as REOPENED, never as a new flag, but only when its
-- evidence changed in substance (material_hash): one more night of the same stay does not
-- undo a reviewer's decision.
UPDATE flag
SET
    severity = c.severity,
    priority = c.priority,
    status = CASE
        WHEN flag.status = 'CLEARED' THEN 'OPEN'
        WHEN flag.status = 'CLOSED' AND c.material_hash <> COALESCE(flag.material_hash, '') THEN 'REOPENED'
        ELSE flag.status
    END,
    passport_number = c.passport_number,
    nationality = c.nationality,
    report_ids = c.report_ids,
    lodging_id = c.lodging_id,
    region_code = c.region_code,
    province_code = c.province_code,
    first_night = c.first_night,
    last_night = c.last_night,
    night_count = c.night_count,
    reason_id = c.reason_id,
    reason_en = c.reason_en,
    evidence = c.evidence,
    evidence_hash = c.evidence_hash,
    material_hash = c.material_hash,
    rule_version = c.rule_version,
    cleared_at = NULL,
    clear_note = NULL,
    updated_at = :now
FROM flag_candidate AS c
WHERE c.flag_id = flag.flag_id
  AND (c.evidence_hash <> flag.evidence_hash OR flag.status = 'CLEARED');
