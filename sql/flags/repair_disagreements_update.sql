-- A flag's evidence and hashes as the rule now writes them; not a change of the flag
-- itself, so neither updated_at nor its status moves.
UPDATE flag
SET evidence = :evidence, evidence_hash = :evidence_hash, material_hash = :material_hash
WHERE flag_id = :flag_id
