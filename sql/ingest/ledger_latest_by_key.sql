-- The newest registered version of each key under a prefix, with the ETag it had then.
SELECT l.object_key, l.source_etag, l.size_bytes
FROM file_ledger AS l
WHERE l.object_key LIKE :prefix ESCAPE '!'
  AND l.object_version = (
      SELECT MAX(v.object_version) FROM file_ledger AS v WHERE v.object_key = l.object_key
  );
