-- Merge staged lodging files, last step: every touched stay is folded again from all
-- of its events.

-- Fold: events may arrive out of order or twice, so each touched stay is rebuilt from its
-- whole event history, ordered by report time rather than by arrival, in one window pass:
--   * fields come from the latest CORRECTION when the stay has one (FEEDS.md: a CHECK_OUT
--     or CHECK_IN reported after it that repeats the values as first typed does not undo
--     it), else from the latest non-CANCEL event (CHECK_OUT > CHECK_IN on equal report
--     times, then the later-landed file);
--   * check-out comes from the latest event that carries one (a CHECK_OUT after the
--     correction gives its check-out time);
--   * any CANCEL voids the stay;
--   * the check-in report time is the first CHECK_IN event's (for LATE_REPORT).
INSERT INTO guest_stay (
    report_id, status, lodging_id, lodging_name, lodging_region_code, guest_surname,
    guest_given_names, sex, date_of_birth, nationality, nationality_raw, passport_number,
    passport_number_raw, passport_key, passport_expiry, check_in_local, check_in_utc,
    check_in_epoch, check_in_date, check_out_local, check_out_utc, check_out_epoch,
    check_out_date, room, occupation, purpose_of_visit, mrz_line1, mrz_line2,
    check_in_reported_local, check_in_reported_epoch, last_event, event_count,
    source_ledger_id, source_line_no, source_row_hash
)
SELECT
    w.report_id,
    CASE
        WHEN w.cancel_count > 0 THEN 'CANCELLED'
        WHEN w.any_check_out_epoch IS NULL THEN 'OPEN'
        ELSE 'CLOSED'
    END,
    w.lodging_id, w.lodging_name, w.lodging_region_code, w.guest_surname, w.guest_given_names,
    w.sex, w.date_of_birth, w.nationality, w.nationality_raw, w.passport_number,
    w.passport_number_raw, w.passport_key, w.passport_expiry, w.check_in_local, w.check_in_utc,
    w.check_in_epoch, w.check_in_date,
    w.any_check_out_local,
    w.any_check_out_utc,
    w.any_check_out_epoch,
    w.any_check_out_date,
    w.room, w.occupation, w.purpose_of_visit, w.mrz_line1, w.mrz_line2,
    CASE WHEN w.check_in_events > 0 THEN w.first_report_local END,
    CASE WHEN w.check_in_events > 0 THEN w.first_report_epoch END,
    CASE w.furthest WHEN 4 THEN 'CANCEL' WHEN 3 THEN 'CORRECTION' WHEN 2 THEN 'CHECK_OUT' ELSE 'CHECK_IN' END,
    w.event_count, w.ledger_id, w.line_no, w.row_hash
FROM (
    SELECT
        e.*,
        ROW_NUMBER() OVER latest AS pick,
        COUNT(*) OVER stay AS event_count,
        SUM(CASE WHEN e.event = 'CANCEL' THEN 1 ELSE 0 END) OVER stay AS cancel_count,
        SUM(CASE WHEN e.event = 'CHECK_IN' THEN 1 ELSE 0 END) OVER stay AS check_in_events,
        MAX(CASE e.event WHEN 'CANCEL' THEN 4 WHEN 'CORRECTION' THEN 3 WHEN 'CHECK_OUT' THEN 2 ELSE 1 END)
            OVER stay AS furthest,
        FIRST_VALUE(e.check_out_local) OVER latest_check_out AS any_check_out_local,
        FIRST_VALUE(e.check_out_utc) OVER latest_check_out AS any_check_out_utc,
        FIRST_VALUE(e.check_out_epoch) OVER latest_check_out AS any_check_out_epoch,
        FIRST_VALUE(e.check_out_date) OVER latest_check_out AS any_check_out_date,
        FIRST_VALUE(e.reported_at_local) OVER first_check_in AS first_report_local,
        FIRST_VALUE(e.reported_at_epoch) OVER first_check_in AS first_report_epoch
    FROM hotel_guest_event AS e
    INNER JOIN merge_touched_report AS t ON t.report_id = e.report_id AND t.ledger_id = :merge_id
    WINDOW
        stay AS (PARTITION BY e.report_id),
        latest AS (
            PARTITION BY e.report_id
            ORDER BY
                CASE WHEN e.event = 'CANCEL' THEN 0 ELSE 1 END DESC,
                CASE WHEN e.event = 'CORRECTION' THEN 1 ELSE 0 END DESC,
                e.reported_at_epoch DESC,
                CASE e.event WHEN 'CORRECTION' THEN 3 WHEN 'CHECK_OUT' THEN 2 ELSE 1 END DESC,
                e.arrival_key DESC
        ),
        latest_check_out AS (
            PARTITION BY e.report_id
            ORDER BY
                CASE WHEN e.check_out_epoch IS NOT NULL AND e.event <> 'CANCEL' THEN 0 ELSE 1 END,
                e.reported_at_epoch DESC,
                e.arrival_key DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ),
        first_check_in AS (
            PARTITION BY e.report_id
            ORDER BY CASE WHEN e.event = 'CHECK_IN' THEN 0 ELSE 1 END, e.reported_at_epoch, e.arrival_key
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        )
) AS w
WHERE w.pick = 1
ON CONFLICT (report_id) DO UPDATE SET
    status = excluded.status,
    lodging_id = excluded.lodging_id,
    lodging_name = excluded.lodging_name,
    lodging_region_code = excluded.lodging_region_code,
    guest_surname = excluded.guest_surname,
    guest_given_names = excluded.guest_given_names,
    sex = excluded.sex,
    date_of_birth = excluded.date_of_birth,
    nationality = excluded.nationality,
    nationality_raw = excluded.nationality_raw,
    passport_number = excluded.passport_number,
    passport_number_raw = excluded.passport_number_raw,
    passport_key = excluded.passport_key,
    passport_expiry = excluded.passport_expiry,
    check_in_local = excluded.check_in_local,
    check_in_utc = excluded.check_in_utc,
    check_in_epoch = excluded.check_in_epoch,
    check_in_date = excluded.check_in_date,
    check_out_local = excluded.check_out_local,
    check_out_utc = excluded.check_out_utc,
    check_out_epoch = excluded.check_out_epoch,
    check_out_date = excluded.check_out_date,
    room = excluded.room,
    occupation = excluded.occupation,
    purpose_of_visit = excluded.purpose_of_visit,
    mrz_line1 = excluded.mrz_line1,
    mrz_line2 = excluded.mrz_line2,
    check_in_reported_local = excluded.check_in_reported_local,
    check_in_reported_epoch = excluded.check_in_reported_epoch,
    last_event = excluded.last_event,
    event_count = excluded.event_count,
    source_ledger_id = excluded.source_ledger_id,
    source_line_no = excluded.source_line_no,
    source_row_hash = excluded.source_row_hash
WHERE guest_stay.source_row_hash <> excluded.source_row_hash
    OR guest_stay.status <> excluded.status
    OR guest_stay.event_count <> excluded.event_count
    OR guest_stay.check_out_epoch IS DISTINCT FROM excluded.check_out_epoch
    OR guest_stay.check_in_reported_epoch IS DISTINCT FROM excluded.check_in_reported_epoch;

DELETE FROM merge_touched_report WHERE ledger_id = :merge_id;
