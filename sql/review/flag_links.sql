SELECT report_id, document_kind, document_number, name_verdict, date_of_birth_verdict,
       sex_verdict, nationality_verdict, score, verdict
FROM identity_link
WHERE report_id IN :report_ids;
