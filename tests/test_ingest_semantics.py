"""Ingest semantics: versions, event folding, the ledger, chunking, crashes, conservation."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.test_bad_inputs import GOOD_PERMIT, GOOD_VISA, guest_line, hotel_file, permit_line, quarantined
from timpora.config import get_settings, override_environment
from timpora.feeds.contracts import HOTEL_GUEST_COLUMNS, STAY_PERMIT_COLUMNS
from timpora.ingest import pipeline
from timpora.ingest.pipeline import ConservationError, ingest_key
from timpora.warehouse.db import warehouse_engine


def write(landing: Path, key: str, text: str, encoding: str = "utf-8") -> str:
    path = landing / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return key


def permits_file(landing: Path, day: str, name: str, lines: list[str]) -> str:
    return write(
        landing, f"stay_permit/{day}/KANIM-PLG_{name}.csv", "\n".join([",".join(STAY_PERMIT_COLUMNS), *lines]) + "\n"
    )


def hotel_text(lines: list[str]) -> str:
    return "\n".join([";".join(HOTEL_GUEST_COLUMNS), *lines]) + "\n"


def one(sql: str, **params: Any) -> Any:
    with warehouse_engine(get_settings()).connect() as conn:
        return conn.execute(sa.text(sql), params).one()


def scalar(sql: str, **params: Any) -> Any:
    with warehouse_engine(get_settings()).connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


# --- record_version ----------------------------------------------------------------------------


def test_higher_version_supersedes_and_lower_or_equal_later_stays_in_history(warehouse: str, landing: Path) -> None:
    v1 = permit_line("ITAS-1", record_version="1", valid_until="2024-10-31")
    v2 = permit_line("ITAS-1", record_version="2", valid_until="2025-02-28")
    v1_changed = permit_line("ITAS-1", record_version="1", valid_until="2024-12-31")
    v2_other = permit_line("ITAS-1", record_version="2", valid_until="2025-06-30")
    ingest_key(permits_file(landing, "2024/10/01", "a", [v1]))
    ingest_key(permits_file(landing, "2024/10/02", "b", [v2]))
    assert one("SELECT record_version, valid_until FROM stay_permit")[0] == 2
    # A lower or an equal version arriving later with other content contradicts a record
    # received before: quarantined, naming it; the current permit stays version 2.
    late = permits_file(landing, "2024/10/03", "c", [v1_changed, v2_other])
    result = ingest_key(late)
    assert (result.rows_loaded, result.rows_quarantined) == (0, 2)
    current = one("SELECT record_version, valid_until FROM stay_permit WHERE permit_number = 'ITAS-1'")
    assert (current[0], str(current[1])[:10]) == (2, "2025-02-28")
    assert scalar("SELECT COUNT(*) FROM stay_permit_history WHERE permit_number = 'ITAS-1'") == 2
    reasons = [r for rows in quarantined(late).values() for r in rows]
    assert [r["check"] for r in reasons] == ["conflict", "conflict"]
    assert "KANIM-PLG_a.csv line 2" in reasons[0]["message_en"] and "KANIM-PLG_b.csv line 2" in reasons[1]["message_en"]


def test_version_outcome_does_not_depend_on_processing_order(warehouse: str, landing: Path) -> None:
    early = permits_file(
        landing, "2024/10/01", "a", [permit_line("ITAS-1", record_version="2", valid_until="2025-01-31")]
    )
    late = permits_file(
        landing, "2024/10/05", "b", [permit_line("ITAS-1", record_version="2", valid_until="2025-09-30")]
    )
    ingest_key(late)  # the later landing is processed first ...
    ingest_key(early)  # ... but the equal version that landed first still wins
    assert str(one("SELECT valid_until FROM stay_permit")[0])[:10] == "2025-01-31"
    # ... and the later one, which contradicts it, leaves the history for the quarantine.
    assert scalar("SELECT COUNT(*) FROM stay_permit_history") == 1
    (reasons,) = quarantined(late).values()
    assert reasons[0]["check"] == "conflict" and "KANIM-PLG_a.csv line 2" in reasons[0]["message_en"]
    counts = one("SELECT rows_read, rows_loaded, rows_quarantined FROM file_ledger WHERE object_key = :k", k=late)
    assert tuple(counts) == (1, 0, 1)


def test_visa_versions(warehouse: str, landing: Path) -> None:
    v1 = json.dumps({**GOOD_VISA, "record_version": 1, "surname": "MÜLLER"})
    v2 = json.dumps({**GOOD_VISA, "record_version": 2, "surname": "MUELLER"})
    ingest_key(write(landing, "visa/2024/10/03/evisa_1.jsonl", v2 + "\n" + v1 + "\n"))
    assert one("SELECT record_version, surname FROM visa") == (2, "MUELLER")


# --- hotel events fold into stays --------------------------------------------------------------


def test_events_fold_in_any_order_and_duplicates_count_once(warehouse: str, landing: Path) -> None:
    check_in = guest_line(1)
    check_out = guest_line(1, event="CHECK_OUT", check_out="03/10/2024 10:15", reported_at="03/10/2024 11:00")
    # The check-out lands (and is processed) before the check-in.
    first = ingest_key(write(landing, "hotel_guest/2024/10/03/LDG-167101_b.csv", hotel_text([check_out])))
    assert one("SELECT status FROM guest_stay")[0] == "CLOSED"
    second = ingest_key(write(landing, "hotel_guest/2024/10/02/LDG-167101_a.csv", hotel_text([check_in, check_in])))
    stay = one("SELECT status, check_out_local, check_in_reported_local, event_count FROM guest_stay")
    assert stay[0] == "CLOSED" and str(stay[1]).startswith("2024-10-03 10:15")
    assert str(stay[2]).startswith("2024-10-02 13:30") and stay[3] == 2
    assert (first.rows_loaded, second.rows_loaded, second.rows_duplicate) == (1, 1, 1)


def test_cancel_voids_whatever_the_order(warehouse: str, landing: Path) -> None:
    cancel = guest_line(1, event="CANCEL", reported_at="02/10/2024 16:00")
    ingest_key(write(landing, "hotel_guest/2024/10/03/LDG-167101_b.csv", hotel_text([cancel])))
    ingest_key(write(landing, "hotel_guest/2024/10/02/LDG-167101_a.csv", hotel_text([guest_line(1)])))
    assert one("SELECT status FROM guest_stay")[0] == "CANCELLED"


def test_correction_replaces_fields_and_marks_both_passports(warehouse: str, landing: Path) -> None:
    wrong = guest_line(1, passport_number="E99999999")
    fixed = guest_line(1, event="CORRECTION", reported_at="02/10/2024 17:00")
    ingest_key(write(landing, "hotel_guest/2024/10/03/LDG-167101_a.csv", hotel_text([wrong, fixed])))
    assert one("SELECT passport_number, last_event FROM guest_stay") == ("E12345678", "CORRECTION")
    with warehouse_engine(get_settings()).connect() as conn:
        dirty = {row[0] for row in conn.execute(sa.text("SELECT person_key FROM reconcile_dirty"))}
    assert {"E99999999", "E12345678"} <= dirty


@pytest.mark.parametrize("order", ["as_reported", "check_out_first"])
def test_a_correction_stands_against_a_later_check_out_with_the_first_typed_values(
    warehouse: str, landing: Path, order: str
) -> None:
    """FEEDS.md: a stay's fields come from its latest CORRECTION; a CHECK_OUT reported
    after it that still carries the values as first typed (hotel systems send the record
    as entered) gives the check-out time only, in either order of arrival."""
    typed = guest_line(1, passport_number="E99999999", guest_surname="ZAHNG")
    fixed = guest_line(1, event="CORRECTION", reported_at="02/10/2024 17:00")
    check_out = guest_line(
        1,
        event="CHECK_OUT",
        passport_number="E99999999",
        guest_surname="ZAHNG",
        check_out="04/10/2024 10:15",
        reported_at="04/10/2024 11:00",
    )
    files = [
        write(landing, "hotel_guest/2024/10/02/LDG-167101_a.csv", hotel_text([typed, fixed])),
        write(landing, "hotel_guest/2024/10/04/LDG-167101_b.csv", hotel_text([check_out])),
    ]
    for key in files if order == "as_reported" else reversed(files):
        ingest_key(key)
    stay = one("SELECT passport_number, guest_surname, status, check_out_local, last_event FROM guest_stay")
    assert stay[0] == "E12345678" and stay[1] == "ZHANG"
    assert stay[2] == "CLOSED" and str(stay[3]).startswith("2024-10-04 10:15")


def test_local_times_convert_by_the_lodging_province(warehouse: str, landing: Path) -> None:
    # 51.71 Denpasar is WITA (UTC+8), 91.71 Kota Jayapura WIT (UTC+9).
    bali = guest_line(1, lodging_id="LDG-517101", lodging_region_code="51.71").replace(
        "LDG-167101-00001", "LDG-517101-00001"
    )
    ingest_key(write(landing, "hotel_guest/2024/10/03/LDG-517101_a.csv", hotel_text([bali])))
    papua = guest_line(1, lodging_id="LDG-917101", lodging_region_code="91.71").replace(
        "LDG-167101-00001", "LDG-917101-00001"
    )
    ingest_key(write(landing, "hotel_guest/2024/10/03/LDG-917101_a.csv", hotel_text([papua])))
    with warehouse_engine(get_settings()).connect() as conn:
        times: dict[str, Any] = dict(
            conn.execute(sa.text("SELECT lodging_region_code, check_in_utc FROM guest_stay")).fetchall()
        )
    assert str(times["51.71"]).startswith("2024-10-02 05:00")
    assert str(times["91.71"]).startswith("2024-10-02 04:00")


# --- the ledger --------------------------------------------------------------------------------


def test_ledger_registers_each_body_once(warehouse: str, landing: Path) -> None:
    key = hotel_file(landing, "x", [guest_line(1), guest_line(2)])
    first = ingest_key(key)
    again = ingest_key(key)
    assert again.skipped and again.ledger_id == first.ledger_id
    assert scalar("SELECT COUNT(*) FROM file_ledger") == 1
    # A changed body under the same key is that key's next version.
    hotel_file(landing, "x", [guest_line(1), guest_line(2), guest_line(3)])
    changed = ingest_key(key)
    assert changed.ledger_id != first.ledger_id and changed.rows_loaded == 1 and changed.rows_duplicate == 2
    assert [row[0] for row in _ledger_versions(key)] == [1, 2]
    # The same bytes under another key: registered, not processed again.
    copy = write(landing, "hotel_guest/2024/10/04/LDG-167101_copy.csv", (landing / key).read_text())
    duplicate = ingest_key(copy)
    assert duplicate.status == "DUPLICATE_BODY"
    assert (duplicate.rows_read, duplicate.rows_duplicate, duplicate.rows_loaded) == (3, 3, 0)


def _ledger_versions(key: str) -> list[Any]:
    with warehouse_engine(get_settings()).connect() as conn:
        return list(
            conn.execute(
                sa.text("SELECT object_version FROM file_ledger WHERE object_key = :k ORDER BY object_version"),
                {"k": key},
            )
        )


def test_invalid_key_under_a_feed_prefix_is_registered_as_rejected(warehouse: str, landing: Path) -> None:
    key = write(landing, "hotel_guest/2024/10/3/LDG-167101_a.csv", hotel_text([guest_line(1)]))
    result = ingest_key(key)
    assert result.status == "REJECTED" and "invalid landing key" in (result.note or "")


# --- chunks, crashes, concurrency, conservation ------------------------------------------------


def test_small_chunks_give_the_same_result(warehouse: str, landing: Path) -> None:
    lines = [guest_line(i) for i in range(1, 30)]
    lines[5] = guest_line(6, lodging_region_code="99.99")
    lines[17] = guest_line(18) + ";extra"
    lines.insert(20, "")
    override_environment(chunk_rows="4")
    try:
        result = ingest_key(hotel_file(landing, "chunks", lines))
    finally:
        override_environment(chunk_rows="5000")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (29, 27, 2)
    with warehouse_engine(get_settings()).connect() as conn:
        bad_lines = sorted(r[0] for r in conn.execute(sa.text("SELECT line_no FROM quarantine WHERE scope = 'row'")))
    assert bad_lines == [7, 19]


def test_a_crash_mid_file_leaves_nothing_half_done(
    warehouse: str, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    override_environment(chunk_rows="3")
    key = hotel_file(landing, "crash", [guest_line(i) for i in range(1, 10)])
    calls = {"n": 0}
    real = pipeline.staging_frame

    def crash_on_second_chunk(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "staging_frame", crash_on_second_chunk)
    try:
        with pytest.raises(RuntimeError, match="worker killed"):
            ingest_key(key)
        assert scalar("SELECT status FROM file_ledger") == "REGISTERED"
        assert scalar("SELECT COUNT(*) FROM hotel_guest_event") == 0
        monkeypatch.setattr(pipeline, "staging_frame", real)
        result = ingest_key(key)
    finally:
        override_environment(chunk_rows="5000")
    assert (result.status, result.rows_loaded) == ("LOADED", 9)
    assert scalar("SELECT COUNT(*) FROM stg_hotel_guest_event") == 0


def test_conservation_check_fails_loudly(warehouse: str, landing: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = pipeline.staging_frame
    monkeypatch.setattr(pipeline, "staging_frame", lambda *a, **k: real(*a, **k).iloc[1:])
    key = hotel_file(landing, "lossy", [guest_line(1), guest_line(2)])
    with pytest.raises(ConservationError, match="read 2 rows but loaded 1"):
        ingest_key(key)
    assert scalar("SELECT status FROM file_ledger") == "REGISTERED"
    assert scalar("SELECT COUNT(*) FROM hotel_guest_event") == 0


def test_lodging_files_touching_the_same_stays_merge_at_once(warehouse: str, landing: Path) -> None:
    """Two workers merge files naming the same stays at the same time. On PostgreSQL each
    fold first analyzes the list of touched stays, and that lock is held to the merge's
    commit: the folds take turns, neither deadlocks, and the stays are what merging the
    files one after the other gives."""
    stays = range(1, 60)
    check_ins = write(landing, "hotel_guest/2024/10/02/LDG-167101_in.csv", hotel_text([guest_line(i) for i in stays]))
    check_outs = write(
        landing,
        "hotel_guest/2024/10/03/LDG-167101_out.csv",
        hotel_text(
            [
                guest_line(i, event="CHECK_OUT", check_out="03/10/2024 10:15", reported_at="03/10/2024 11:00")
                for i in stays
            ]
        ),
    )
    start = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def work(key: str) -> None:
        try:
            start.wait()
            results.append(ingest_key(key))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(key,)) for key in (check_ins, check_outs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sorted((r.status, r.rows_loaded) for r in results) == [("LOADED", 59), ("LOADED", 59)]
    assert one("SELECT COUNT(*), MIN(event_count), MAX(event_count) FROM guest_stay") == (59, 2, 2)
    assert scalar("SELECT COUNT(*) FROM guest_stay WHERE status = 'CLOSED' AND last_event = 'CHECK_OUT'") == 59
    assert scalar("SELECT COUNT(*) FROM merge_touched_report") == 0
    if warehouse == "postgresql":
        # Analyzed inside the merge, while it held the file's touched stays (-1: never analyzed).
        assert scalar("SELECT reltuples FROM pg_class WHERE relname = 'merge_touched_report'") > 0


def test_the_same_file_processed_twice_at_once_loads_once(warehouse: str, landing: Path) -> None:
    key = hotel_file(landing, "race", [guest_line(i) for i in range(1, 40)])
    results: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(ingest_key(key))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert scalar("SELECT COUNT(*) FROM hotel_guest_event") == 39
    assert scalar("SELECT COUNT(*) FROM file_ledger") == 1
    assert one("SELECT status, rows_loaded FROM file_ledger") == ("LOADED", 39)


def test_workers_registering_the_same_files_at_once_get_one_entry_each(warehouse: str) -> None:
    """Registration races: 4 workers register the same 100 files, each file all at once. On
    PostgreSQL the losers used to fail on the ledger id's unique index (an ON CONFLICT
    arbiter only on key and body); every worker must get the one entry of each file."""
    from timpora.ingest.ledger import ledger_id_for, register
    from timpora.warehouse.db import transaction

    engine = warehouse_engine(get_settings())
    keys = [f"hotel_guest/2024/10/03/LDG-167101_20241003T{n:04d}.csv" for n in range(100)]
    start = threading.Barrier(4)
    entries: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for key in keys:
                start.wait()  # every worker at the same file at once
                with transaction(engine) as conn:
                    entries.append(register(conn, key, f"body of {key}", 10))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
            start.abort()  # the others stop waiting for this one

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(entries) == 4 * len(keys)
    assert {e.ledger_id for e in entries} == {ledger_id_for(key, f"body of {key}") for key in keys}
    assert scalar("SELECT COUNT(*) FROM file_ledger") == len(keys)


def test_a_worker_finding_the_file_in_progress_waits_for_it(warehouse: str, landing: Path) -> None:
    from timpora.orchestration.tasks import check_conservation
    from timpora.warehouse.locks import exclusive

    key = hotel_file(landing, "busy", [guest_line(i) for i in range(1, 10)])
    entry = pipeline.register_object(key)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(ingest_key(key))) for _ in range(2)]
    # Another worker holds the file: the two calls wait for it instead of reporting the file
    # unprocessed, which would fail their run's conservation check.
    with exclusive(get_settings(), f"ledger:{entry.ledger_id}") as got:
        assert got
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        assert results == []
    # That worker let go without finishing (it died): one call processes the file, the other
    # then finds it done.
    for thread in threads:
        thread.join(120)
    assert sorted(result.skipped for result in results) == [False, True]
    assert {result.status for result in results} == {"LOADED"}
    assert check_conservation([result.as_dict() for result in results])["rows_loaded"] == 18
    assert scalar("SELECT COUNT(*) FROM hotel_guest_event") == 9


def test_permit_file_with_quoted_commas_loads(warehouse: str, landing: Path) -> None:
    result = ingest_key(permits_file(landing, "2024/10/03", "q", [permit_line("ITK-1")]))
    assert result.rows_loaded == 1
    assert scalar("SELECT address FROM stay_permit") == GOOD_PERMIT["address"].strip('"')


def test_the_dag_conservation_task_fails_on_a_mismatch(warehouse: str, landing: Path) -> None:
    from timpora.orchestration.tasks import check_conservation

    result = ingest_key(hotel_file(landing, "audit", [guest_line(1), guest_line(2)]))
    totals = check_conservation([result.as_dict()])
    assert totals == {"files": 1, "rows_read": 2, "rows_loaded": 2, "rows_quarantined": 0, "rows_duplicate": 0}
    with warehouse_engine(get_settings()).begin() as conn:
        conn.execute(sa.text("UPDATE file_ledger SET rows_loaded = 1"))
    with pytest.raises(RuntimeError, match=r"row conservation broken: .*read 2, accounted for 1"):
        check_conservation([result.as_dict()])


def test_a_report_id_sent_for_another_passport_is_quarantined_whatever_order_files_come_in(
    warehouse: str, landing: Path
) -> None:
    """The same report id with another passport: the event that landed later contradicts
    the earlier one and is quarantined naming it, even when its file is processed first
    (its row then leaves the history); a CORRECTION may change the passport."""
    later = write(
        landing,
        "hotel_guest/2024/10/03/LDG-167101_b.csv",
        hotel_text([guest_line(1, passport_number="B22222222", guest_surname="OTHER")]),
    )
    earlier = write(landing, "hotel_guest/2024/10/02/LDG-167101_a.csv", hotel_text([guest_line(1)]))
    assert ingest_key(later).rows_loaded == 1  # alone, nothing contradicts it yet
    result = ingest_key(earlier)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert one("SELECT passport_number FROM guest_stay")[0] == guest_line(1).split(";")[10]
    (reasons,) = quarantined(later).values()
    assert reasons[0]["check"] == "conflict" and "LDG-167101_a.csv line 2" in reasons[0]["message_en"]
    assert tuple(one("SELECT rows_loaded, rows_quarantined FROM file_ledger WHERE object_key = :k", k=later)) == (0, 1)
    corrected = write(
        landing,
        "hotel_guest/2024/10/03/LDG-167101_c.csv",
        hotel_text([guest_line(1, event="CORRECTION", passport_number="C33333333", reported_at="03/10/2024 09:00")]),
    )
    assert ingest_key(corrected).rows_loaded == 1
