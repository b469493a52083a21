-- PURPOSE_MISMATCH, first step: the distinct texts the scope's stays declare, written as
-- timpora.rules.purpose reads them (occupation, ' | ', purpose of visit). A national day's
-- stays repeat a few of them: the lexicon is read on these, and cases.sql then
-- returns only the stays that can disagree with their documents.
SELECT DISTINCT COALESCE(s.occupation, '') || ' | ' || COALESCE(s.purpose_of_visit, '') AS declared_text
FROM guest_stay AS s
INNER JOIN reconcile_scope AS sc ON sc.person_key = s.passport_key
WHERE s.status <> 'CANCELLED'
