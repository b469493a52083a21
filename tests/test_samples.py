"""The shared sample day: every row loads, stays fold right, and the flag export is complete."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import copy_samples
from timpora.config import get_settings
from timpora.flags.queries import export_flags, list_flags
from timpora.ingest.pipeline import ingest_keys
from timpora.reconcile.engine import reconcile
from timpora.warehouse.db import warehouse_engine


def test_sample_day_loads_and_folds(warehouse: str, landing: Path) -> None:
    keys = copy_samples(landing)
    results = ingest_keys(keys)
    assert [r.status for r in results] == ["LOADED"] * 4
    assert all(r.rows_read == r.rows_loaded and r.rows_quarantined == 0 for r in results)
    with warehouse_engine(get_settings()).connect() as conn:
        stays = {row.report_id: row for row in conn.execute(sa.text("SELECT * FROM guest_stay"))}
        permit = conn.execute(
            sa.text("SELECT record_version, valid_until FROM stay_permit WHERE permit_number = 'ITAS-2402-0077'")
        ).one()
        visa = conn.execute(sa.text("SELECT surname FROM visa WHERE visa_number = 'V5529017730'")).scalar_one()
    # A correction replaced the room; the check-out carried over; the check-in report time is kept.
    assert stays["LDG-167101-00913"].room == "1210" and stays["LDG-167101-00913"].status == "OPEN"
    assert stays["LDG-167201-00042"].status == "CLOSED"
    assert str(stays["LDG-167201-00042"].check_in_reported_local).startswith("2024-10-03 08:40")
    # pa 123-4567 typed by the desk, AUSTRALIA as a country name: normalised.
    assert stays["LDG-167201-00041"].passport_number == "PA1234567"
    assert stays["LDG-167201-00041"].nationality == "AUS"
    # Windows-1252 file: Müller decoded; DE and D both Germany.
    assert stays["LDG-167201-00042"].guest_surname == "Müller" and stays["LDG-167201-00042"].nationality == "DEU"
    assert permit.record_version == 2 and str(permit.valid_until).startswith("2025-02-28")
    assert visa == "MUELLER"


def test_sample_day_raises_what_the_samples_readme_says(warehouse: str, landing: Path) -> None:
    ingest_keys(copy_samples(landing))
    reconcile()
    frame = list_flags()
    assert sorted(zip(frame["passport_number"], frame["rule_code"], strict=True)) == [
        ("C4F7K2L91", "LATE_REPORT"),  # checked in 1 Oct 21:00, reported 3 Oct 08:40
        ("PA1234567", "PURPOSE_MISMATCH"),  # a freelance journalist on a tourist visit permit
    ]
    with warehouse_engine(get_settings()).connect() as conn:
        links = conn.execute(
            sa.text("SELECT document_number, verdict FROM identity_link WHERE person_key = 'C4F7K2L91'")
        ).all()
    # The visa's version 2 spells the name MUELLER JOERG: the same person, no identity flag.
    assert sorted(links) == [("ITAS-2402-0077", "LINKED"), ("V5529017730", "LINKED")]


def test_reingesting_the_same_files_is_a_no_op(warehouse: str, landing: Path) -> None:
    keys = copy_samples(landing)
    ingest_keys(keys)
    again = ingest_keys(keys)
    assert all(r.skipped for r in again)
    with warehouse_engine(get_settings()).connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM file_ledger")).scalar_one() == 4
        assert conn.execute(sa.text("SELECT COUNT(*) FROM hotel_guest_event")).scalar_one() == 5


def test_flag_export_carries_every_field(warehouse: str, landing: Path) -> None:
    keys = copy_samples(landing)
    # A guest without any permit, added to the sample lodging file.
    path = landing / "hotel_guest/2024/10/03/LDG-167101_20241003T1200.csv"
    text = path.read_text(encoding="utf-8-sig")
    extra = (
        'LDG-167101-00999;CHECK_IN;LDG-167101;Hotel Sriwijaya Palembang;16.71;=HYPERLINK("x");Ann;P;'
        "01/02/1990;GBR;123456789;01/01/2030;02/10/2024 14:00;;301;tourist;liburan;02/10/2024 15:00;;\n"
        "LDG-167101-01000;CHECK_IN;LDG-167101;Hotel Sriwijaya Palembang;16.71;Smith;Ann;P;"
        "01/02/1990;GBR;123456789;01/01/2030;02/10/2024 14:00;;301;tourist;liburan;02/10/2024 15:00;;\n"
    )
    path.write_text(text + extra, encoding="utf-8")
    ingest_keys(keys)
    reconcile()
    frame = list_flags(rule_code="NO_VALID_PERMIT")
    assert len(frame) == 1
    record = json.loads(export_flags(frame, "jsonl").splitlines()[0])
    for field in (
        "flag_id",
        "rule_code",
        "severity",
        "status",
        "passport_number",
        "nationality",
        "report_ids",
        "lodging_id",
        "region_code",
        "first_night",
        "last_night",
        "reason_id",
        "reason_en",
        "evidence",
    ):
        assert record[field] not in (None, "", []), field
    assert record["report_ids"] == ["LDG-167101-01000"]
    assert (record["first_night"], record["last_night"], record["night_count"]) == ("2024-10-02", "2024-10-03", 2)
    assert "tanpa izin tinggal" in record["reason_id"] and "without a stay permit" in record["reason_en"]
    assert record["evidence"]["stay"]["report_id"] == "LDG-167101-01000"
    rows = list(csv.DictReader(io.StringIO(export_flags(frame, "csv"))))
    assert rows[0]["flag_id"] == record["flag_id"]
