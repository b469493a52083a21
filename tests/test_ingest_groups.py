"""Small files processed together: one validation and one merge for a group, with every
file still judged against its own name, conserved and recorded on its own."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.test_bad_inputs import DAY, assert_conserved, guest_line, quarantined
from tests.test_ingest_semantics import hotel_text, scalar, write
from timpora.config import get_settings, override_environment
from timpora.ingest.pipeline import ingest_group, ingest_key, ingest_keys, plan_groups, register_object
from timpora.warehouse.db import warehouse_engine


def lodging_file(landing: Path, lodging: str, name: str, lines: list[str], day: str = DAY) -> str:
    return write(landing, f"hotel_guest/{day}/{lodging}_{name}.csv", hotel_text(lines))


def guest_of(lodging: str, seq: int, **changes: str) -> str:
    """A good guest line of ``lodging`` (its id also starts the report id)."""
    return guest_line(seq, lodging_id=lodging, report_id=f"{lodging}-{seq:05d}", **changes)


def validation_results() -> int:
    return sum(1 for _ in (get_settings().gx_dir / "gx" / "uncommitted" / "validations").rglob("*.json"))


def test_plan_groups_keeps_feeds_and_days_apart_and_respects_both_budgets() -> None:
    override_environment(ingest_group_bytes="1000", ingest_group_files="3", ingest_group_spread="1")
    try:
        sizes = {
            "hotel_guest/2024/10/03/LDG-1_a.csv": 100,
            "hotel_guest/2024/10/03/LDG-2_a.csv": 100,
            "stay_permit/2024/10/03/KANIM-PLG_a.csv": 100,
            "hotel_guest/2024/10/04/LDG-3_a.csv": 100,
            "hotel_guest/2024/10/03/LDG-4_a.csv": 100,
            "hotel_guest/2024/10/03/LDG-5_a.csv": 100,  # a fourth file of the day: a new group
            "hotel_guest/2024/10/03/LDG-6_big.csv": 5000,  # over the byte budget: alone
            "hotel_guest/2024/10/03/LDG-7_a.csv": 950,  # does not fit beside LDG-5
            "hotel_guest/2024/13/03/LDG-8_a.csv": 10,  # no such month: alone, registered as rejected
        }
        # In landing order (date, key): a key without a date first, then as they land.
        assert plan_groups(sizes) == [
            ["hotel_guest/2024/13/03/LDG-8_a.csv"],
            ["hotel_guest/2024/10/03/LDG-6_big.csv"],
            [
                "hotel_guest/2024/10/03/LDG-1_a.csv",
                "hotel_guest/2024/10/03/LDG-2_a.csv",
                "hotel_guest/2024/10/03/LDG-4_a.csv",
            ],
            ["hotel_guest/2024/10/03/LDG-5_a.csv"],
            ["hotel_guest/2024/10/03/LDG-7_a.csv"],
            ["stay_permit/2024/10/03/KANIM-PLG_a.csv"],
            ["hotel_guest/2024/10/04/LDG-3_a.csv"],
        ]
    finally:
        override_environment(ingest_group_bytes=None, ingest_group_files=None, ingest_group_spread=None)


def test_plan_groups_spreads_a_day_of_small_files_over_the_parallel_tasks() -> None:
    """Budgets alone would put a day of 2,000 lodging files of 3 KB in 4 groups of 500 and
    one of 3,000 files in 6, but 25 such files in one: the ingest's parallel tasks (4 by
    default) each get a share of about equal bytes."""
    few = {f"hotel_guest/2024/10/03/LDG-{n:02d}_a.csv": 3000 + 10 * n for n in range(25)}
    groups = plan_groups(few)
    assert [key for group in groups for key in group] == sorted(few)  # in landing order, each once
    assert len(groups) == 4
    shares = [sum(few[key] for key in group) for group in groups]
    assert max(shares) - min(shares) <= 2 * max(few.values())
    assert plan_groups(dict(list(few.items())[:3])) == [[key] for key in list(few)[:3]]


def test_a_group_is_validated_once_and_each_row_against_its_own_file_name(warehouse: str, landing: Path) -> None:
    first = lodging_file(landing, "LDG-167101", "a", [guest_of("LDG-167101", 1), guest_of("LDG-167101", 2)])
    # A row naming the other lodging of the group: its file's name says LDG-167101.
    stray = guest_of("LDG-167201", 3)
    second = lodging_file(landing, "LDG-167101", "b", [guest_of("LDG-167101", 4), stray])
    third = lodging_file(landing, "LDG-167201", "a", [guest_of("LDG-167201", 5)])
    before = validation_results()
    results = ingest_group([first, second, third])
    assert validation_results() - before == 1
    assert [r.object_key for r in results] == [first, second, third]
    assert [(r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) for r in results] == [
        ("LOADED", 2, 2, 0),
        ("LOADED", 2, 1, 1),
        ("LOADED", 1, 1, 0),
    ]
    for result in results:
        assert_conserved(result)
    (reasons,) = quarantined(second).values()
    assert [r["message_en"] for r in reasons] == ["lodging_id differs from the lodging named in the file name"]
    assert reasons[0]["value"] == "LDG-167201"
    assert quarantined(first) == {} and quarantined(third) == {}
    # Each file's rows are its own in the history, and every file's ledger entry is closed.
    assert scalar("SELECT COUNT(DISTINCT ledger_id) FROM hotel_guest_event") == 3
    assert scalar("SELECT COUNT(*) FROM file_ledger WHERE status = 'LOADED'") == 3
    assert scalar("SELECT COUNT(*) FROM stg_hotel_guest_event") == 0
    assert scalar("SELECT COUNT(*) FROM merge_touched_report") == 0


def test_a_stay_reported_in_two_files_of_a_group_folds_once(warehouse: str, landing: Path) -> None:
    check_in = guest_of("LDG-167101", 1)
    check_out = guest_of(
        "LDG-167101", 1, event="CHECK_OUT", check_out="03/10/2024 11:00", reported_at="03/10/2024 11:30"
    )
    morning = lodging_file(landing, "LDG-167101", "0800", [check_in, guest_of("LDG-167101", 2)])
    # The same report twice (an exact duplicate across the group's files) and its check-out.
    noon = lodging_file(landing, "LDG-167101", "1200", [check_in, check_out])
    # Handed over latest first: the copy kept is still the morning file's, which landed first.
    results = ingest_group([noon, morning])
    assert [(r.object_key, r.rows_loaded, r.rows_duplicate) for r in results] == [(noon, 1, 1), (morning, 2, 0)]
    kept = scalar(
        "SELECT f.object_key FROM hotel_guest_event AS e JOIN file_ledger AS f ON f.ledger_id = e.ledger_id "
        "WHERE e.report_id = 'LDG-167101-00001' AND e.event = 'CHECK_IN'"
    )
    assert kept == morning
    stay = (
        scalar("SELECT event_count FROM guest_stay WHERE report_id = 'LDG-167101-00001'"),
        scalar("SELECT status FROM guest_stay WHERE report_id = 'LDG-167101-00001'"),
        scalar("SELECT last_event FROM guest_stay WHERE report_id = 'LDG-167101-00001'"),
    )
    assert stay == (2, "CLOSED", "CHECK_OUT")
    assert scalar("SELECT COUNT(*) FROM guest_stay") == 2
    # Everyone the group named is marked for the next reconcile, under the group's merge.
    assert scalar("SELECT COUNT(*) FROM reconcile_dirty") == 1
    assert scalar("SELECT marked_by FROM reconcile_dirty") == results[0].ledger_id


def test_a_body_sent_under_two_keys_is_processed_once_however_it_comes(warehouse: str, landing: Path) -> None:
    """A lodging's system sends the same report again under a new name. Whether the two
    files come in one group or were both registered before either was processed, the one
    that landed first is processed and the other is closed as its byte-identical twin."""
    lines = [guest_of("LDG-167101", 1), guest_of("LDG-167101", 2)]
    noon = lodging_file(landing, "LDG-167101", "20241003T1200", lines)
    evening = write(landing, noon.replace("T1200", "T1900"), (landing / noon).read_text())
    results = ingest_group([evening, noon])  # handed over latest first
    assert [(r.object_key, r.status, r.rows_read, r.rows_loaded, r.rows_duplicate) for r in results] == [
        (evening, "DUPLICATE_BODY", 2, 0, 2),
        (noon, "LOADED", 2, 2, 0),
    ]
    for result in results:
        assert_conserved(result)
    twin_of = "SELECT duplicate_of FROM file_ledger WHERE object_key = :key"
    assert scalar(twin_of, key=evening) == results[1].ledger_id
    assert scalar("SELECT COUNT(*) FROM hotel_guest_event") == 2
    # A sweep registers both before either is processed; then each is processed alone.
    other = [guest_of("LDG-167201", 3)]
    first = lodging_file(landing, "LDG-167201", "20241003T1200", other)
    second = write(landing, first.replace("T1200", "T1900"), (landing / first).read_text())
    assert [register_object(key).status for key in (first, second)] == ["REGISTERED", "REGISTERED"]
    assert ingest_key(first).status == "LOADED"
    later = ingest_key(second)
    assert (later.status, later.rows_read, later.rows_duplicate, later.skipped) == ("DUPLICATE_BODY", 1, 1, False)
    assert scalar(twin_of, key=second) == ingest_key(first).ledger_id
    assert "byte-identical to " + first in (later.note or "")


def test_a_file_that_cannot_be_read_is_rejected_alone(warehouse: str, landing: Path) -> None:
    good = lodging_file(landing, "LDG-167101", "a", [guest_of("LDG-167101", 1)])
    broken = write(landing, f"hotel_guest/{DAY}/LDG-167201_broken.csv", "this;is;not;the;header\n1;2;3;4;5\n")
    later = lodging_file(landing, "LDG-167201", "a", [guest_of("LDG-167201", 2)])
    results = ingest_group([good, broken, later])
    assert [r.status for r in results] == ["LOADED", "REJECTED", "LOADED"]
    assert results[1].rows_read == results[1].rows_quarantined == 2  # every line, its header too
    assert "header" in (results[1].note or "")
    for result in results:
        assert_conserved(result)
    assert scalar("SELECT COUNT(*) FROM guest_stay") == 2


def test_ingest_keys_groups_small_files_and_big_ones_go_alone(warehouse: str, landing: Path) -> None:
    override_environment(ingest_group_bytes="4000", ingest_group_spread="1")
    try:
        small = [lodging_file(landing, f"LDG-1671{n:02d}", "a", [guest_of(f"LDG-1671{n:02d}", n)]) for n in range(1, 5)]
        big = lodging_file(landing, "LDG-167199", "big", [guest_of("LDG-167199", n) for n in range(10, 40)])
        permits = write(landing, f"stay_permit/{DAY}/KANIM-PLG_a.csv", "")
        keys = [big, *small, permits]
        sizes = {key: (landing / key).stat().st_size for key in keys}
        assert sizes[big] > 4000 > sum(sizes[key] for key in small)
        before = validation_results()
        results = ingest_keys(keys)
    finally:
        override_environment(ingest_group_bytes=None, ingest_group_spread=None)
    # The big file, the small ones together, the (empty, rejected) permit file on its own.
    assert validation_results() - before == 2
    assert [r.object_key for r in results] == keys
    assert [r.rows_loaded for r in results[:5]] == [30, 1, 1, 1, 1]
    assert results[5].status == "REJECTED"


def _outcome(results: list[Any]) -> dict[str, Any]:
    """What a day's ingest made of the warehouse, as compared between runs."""
    with warehouse_engine(get_settings()).connect() as conn:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return sorted(tuple(row) for row in conn.execute(sa.text(sql)))

        return {
            # An exact duplicate is kept in the file that landed first, grouped with it or not.
            "files": sorted(
                (r.object_key, r.status, r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_duplicate)
                for r in results
            ),
            "quarantine": rows("SELECT object_key, scope, line_no, reasons FROM quarantine"),
            "stays": rows(
                "SELECT report_id, status, event_count, last_event, passport_key, check_out_epoch, "
                "check_in_reported_epoch, source_row_hash FROM guest_stay"
            ),
            "permits": rows("SELECT permit_number, record_version, row_hash FROM stay_permit"),
            "visas": rows("SELECT visa_number, record_version, row_hash FROM visa"),
            "marked": rows("SELECT person_key, documents_changed FROM reconcile_dirty"),
        }


def _fresh_warehouse(request: pytest.FixtureRequest, dialect: str, tmp_path: Path) -> None:
    """Point the settings at a second, empty warehouse of the same kind (dropped afterwards)."""
    from tests.conftest import PG_ADMIN_URL, _admin_engine
    from timpora.warehouse.db import dispose_engines
    from timpora.warehouse.migrate import migrate

    if dialect == "sqlite":
        override_environment(warehouse_url=f"sqlite:///{tmp_path / 'second.db'}", data_dir=str(tmp_path / "second"))
        migrate(warehouse_engine())
        return
    name = f"timpora_t_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{request.getfixturevalue("pg_template")}"'))

    def drop() -> None:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(drop)
    override_environment(warehouse_url=PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, data_dir=str(tmp_path / "second"))


def test_grouping_does_not_change_what_a_messy_day_becomes(
    warehouse: str, landing: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A generated day (many lodging files, typos, corrections, re-deliveries, bad rows),
    ingested file by file and then, into a second warehouse, in groups: the same rows
    loaded and quarantined with the same reasons, the same stays, documents and marks."""
    from timpora.generator import generate_day

    truth = generate_day(landing, tmp_path / "truth.json", stays=240, seed=23)
    keys: list[str] = truth["files"]
    assert sum(key.startswith("hotel_guest/") for key in keys) > 5
    # One lodging sends half its noon report again in the evening (those rows exact
    # duplicates), another the whole report again under a new name (a byte-identical body).
    halves, whole = keys[0], keys[1]
    assert halves.endswith("T1200.csv") and whole.endswith("T1200.csv")
    lines = (landing / halves).read_bytes().splitlines(keepends=True)
    (landing / halves.replace("T1200", "T1900")).write_bytes(b"".join(lines[: len(lines) // 2]))
    (landing / whole.replace("T1200", "T1900")).write_bytes((landing / whole).read_bytes())
    keys = sorted([*keys, halves.replace("T1200", "T1900"), whole.replace("T1200", "T1900")])
    override_environment(ingest_group_files="1")
    try:
        one_by_one = _outcome(ingest_keys(keys))  # in landing order: the noon copies stay
    finally:
        override_environment(ingest_group_files=None)
    _fresh_warehouse(request, warehouse, tmp_path)
    before = validation_results()
    override_environment(ingest_group_spread="1")  # as few groups as the budgets allow
    try:
        grouped = _outcome(ingest_keys(list(reversed(keys))))  # handed over latest first
    finally:
        override_environment(ingest_group_spread=None)
    assert validation_results() - before < len(keys) / 2
    assert one_by_one["quarantine"], "the generated day has bad rows to compare"
    assert any(file[-1] for file in one_by_one["files"]), "the generated day has re-delivered rows to compare"
    assert grouped == one_by_one


def test_the_first_landed_of_two_identical_bodies_is_loaded_whichever_group_runs_first(
    warehouse: str, landing: Path
) -> None:
    """Two byte-identical lodging files in two groups of one run (the DAG's parallel
    tasks): the later-landed one's group runs first, yet the earlier one is loaded and the
    later one is its duplicate, as the README promises."""
    from timpora.ingest.pipeline import register_ahead

    lines = [guest_of("LDG-167101", 1), guest_of("LDG-167101", 2)]
    original = lodging_file(landing, "LDG-167101", "a_original", lines)
    resent = lodging_file(landing, "LDG-167101", "b_resent", lines)
    register_ahead([[original], [resent]])
    (later,) = ingest_group([resent])
    (earlier,) = ingest_group([original])
    assert (earlier.status, earlier.rows_loaded) == ("LOADED", 2)
    assert (later.status, later.rows_read, later.rows_duplicate) == ("DUPLICATE_BODY", 2, 2)
    assert original in (later.note or "")
    # A byte-identical body read otherwise (another lodging's name) is no duplicate.
    other = lodging_file(landing, "LDG-167201", "a", lines)
    (elsewhere,) = ingest_group([other])
    assert elsewhere.status == "LOADED" and elsewhere.rows_quarantined == 2
