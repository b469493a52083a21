-- identity_link.comparison is kept only where it says more than the verdict columns: a
-- link whose every field is SAME on the exact passport number stores NULL. On a national
-- day almost every link is such an exact match, and writing ~390,000 JSON documents of
-- equal values was half of identity linking's time. MISMATCH links, which IDENTITY_MISMATCH
-- shows to reviewers, and links accepted despite noise keep their comparison.
ALTER TABLE identity_link ALTER COLUMN comparison DROP NOT NULL;
UPDATE identity_link SET comparison = NULL
WHERE verdict = 'LINKED' AND passport_match = 'EXACT' AND name_verdict = 'SAME'
    AND date_of_birth_verdict = 'SAME' AND sex_verdict = 'SAME' AND nationality_verdict = 'SAME';
