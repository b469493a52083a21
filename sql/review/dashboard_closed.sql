-- Closed flags per rule within the scope: volume, false positives, time to close.
SELECT f.rule_code, f.disposition, f.raised_at, f.closed_at
FROM flag AS f
WHERE (f.province_code = :scope OR f.region_code = :scope)
  AND f.status = 'CLOSED';
