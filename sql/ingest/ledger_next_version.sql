-- A changed body under a known key is that key's next version.
SELECT COALESCE(MAX(object_version), 0) + 1 AS next_version
FROM file_ledger
WHERE object_key = :object_key;
