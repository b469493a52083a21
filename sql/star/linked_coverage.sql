-- The nights were built covered by any stay permit on the guest's passport key that covers
-- them (reconcile/build_nights), which is every permit identity linking compares the stay
-- with. Only a permit whose link is LINKED covers a night: the nights of the stays in scope
-- with a MISMATCH permit link are given the permit their LINKED links give, or none. On a
-- national day that is a few thousand nights; the rest need no second write.
-- (A permit merged while the run builds the nights, after linking read its candidates, can
-- cover a night with no link yet: its merge marked the person, and the next run rebuilds.)
UPDATE guest_night
SET covering_permit_type = (
    SELECT MIN(p.permit_type)
    FROM identity_link AS l
    INNER JOIN stay_permit AS p ON p.permit_number = l.document_number
    WHERE l.report_id = guest_night.report_id
        AND l.document_kind = 'PERMIT'
        AND l.verdict = 'LINKED'
        AND p.valid_from <= guest_night.night_date
        AND p.valid_until >= guest_night.night_date
        AND (p.status = 'ACTIVE' OR guest_night.night_date < p.updated_at)
)
WHERE report_id IN (
    SELECT l.report_id
    FROM identity_link AS l
    INNER JOIN reconcile_scope AS sc ON sc.person_key = l.person_key
    WHERE l.document_kind = 'PERMIT' AND l.verdict = 'MISMATCH'
);
