"""The demo generator writes FEEDS.md formats exactly, with real-looking people and planted cases.

The format checks here are written from FEEDS.md directly, independently of the
platform's own parsers, so a bug shared by generator and parser cannot hide.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from timpora.generator import generate_day

HOTEL_HEADER = (
    "report_id;event;lodging_id;lodging_name;lodging_region_code;guest_surname;guest_given_names;sex;"
    "date_of_birth;nationality;passport_number;passport_expiry;check_in;check_out;room;occupation;"
    "purpose_of_visit;reported_at;mrz_line1;mrz_line2"
)
PERMIT_HEADER = (
    "permit_number,record_version,permit_type,status,visa_number,passport_number,nationality,surname,"
    "given_names,date_of_birth,sex,activity,sponsor_name,sponsor_type,region_code,address,valid_from,"
    "valid_until,office_code,updated_at"
)
VISA_FIELDS = {
    "visa_number",
    "record_version",
    "visa_index",
    "status",
    "passport_number",
    "passport_country",
    "nationality",
    "surname",
    "given_names",
    "date_of_birth",
    "sex",
    "purpose",
    "sponsor",
    "issued_at",
    "valid_until",
    "max_stay_days",
}
ACTIVITIES = {
    "TOURISM",
    "FAMILY",
    "SOCIAL",
    "BUSINESS",
    "GOVERNMENT",
    "MEDICAL",
    "JOURNALISM",
    "FILM",
    "RESEARCH",
    "NGO",
    "WORK",
    "INVESTMENT",
    "STUDY",
    "RETIREMENT",
    "REMOTE_WORK",
    "TRANSIT",
}
SPONSORS = {"NONE", "INDIVIDUAL", "COMPANY", "MEDIA", "NGO", "UNIVERSITY", "GOVERNMENT"}
RULES = {
    "NO_VALID_PERMIT",
    "OVERSTAY",
    "IDENTITY_MISMATCH",
    "PURPOSE_MISMATCH",
    "REGION_MISMATCH",
    "CONCURRENT_STAY",
    "LATE_REPORT",
    "DOCUMENT_INVALID",
}


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("generated")
    truth = generate_day(root / "landing", root / "truth.json", date(2024, 10, 3), seed=11, stays=360)
    return root / "landing", truth


def _decode_hotel(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-bom"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "cp1252"


def test_landing_layout_and_every_format_variant(day: tuple[Path, dict[str, Any]]) -> None:
    landing, truth = day
    keys = truth["files"]
    assert all(re.fullmatch(r"(visa|stay_permit|hotel_guest)/2024/10/03/[^/]+", k) for k in keys)
    assert any(k.endswith(".jsonl") for k in keys) and any(k.endswith(".jsonl.gz") for k in keys)
    variants = set()
    endings = set()
    for key in keys:
        if key.startswith("hotel_guest/"):
            raw = (landing / key).read_bytes()
            variants.add(_decode_hotel(raw)[1])
            endings.add("crlf" if b"\r\n" in raw else "lf")
            lodging = Path(key).name.split("_")[0]
            assert re.fullmatch(r"LDG-\d{6}", lodging)
    assert variants == {"utf-8-bom", "utf-8", "cp1252"}
    assert endings == {"crlf", "lf"}


def test_hotel_guest_files_follow_the_contract(day: tuple[Path, dict[str, Any]]) -> None:
    landing, truth = day
    faulty = {r for case in truth["quarantine_cases"] for r in case["report_ids"]}
    for key in (k for k in truth["files"] if k.startswith("hotel_guest/")):
        text, _ = _decode_hotel((landing / key).read_bytes())
        lines = text.replace("\r\n", "\n").rstrip("\n").split("\n")
        assert lines[0] == HOTEL_HEADER
        lodging = Path(key).name.split("_")[0]
        for line in lines[1:]:
            row = dict(zip(HOTEL_HEADER.split(";"), [v.strip() for v in line.split(";")], strict=True))
            assert row["lodging_id"] == lodging and row["report_id"].startswith(lodging + "-")
            assert row["event"] in {"CHECK_IN", "CHECK_OUT", "CORRECTION", "CANCEL"}
            assert row["sex"] in {"L", "P", "X"}
            if row["report_id"] in faulty:
                continue
            assert re.fullmatch(r"\d{2}\.\d{2}", row["lodging_region_code"])
            datetime.strptime(row["date_of_birth"], "%d/%m/%Y")
            check_in = datetime.strptime(row["check_in"], "%d/%m/%Y %H:%M")
            reported = datetime.strptime(row["reported_at"], "%d/%m/%Y %H:%M")
            assert reported >= check_in
            if row["check_out"]:
                assert datetime.strptime(row["check_out"], "%d/%m/%Y %H:%M") >= check_in
            if row["event"] == "CHECK_OUT":
                assert row["check_out"]
            if row["passport_expiry"]:
                datetime.strptime(row["passport_expiry"], "%d/%m/%Y")
            assert re.fullmatch(r"[A-Za-z0-9 \-]{5,12}", row["passport_number"])
            if row["mrz_line1"]:
                assert len(row["mrz_line1"]) == 44 and len(row["mrz_line2"]) == 44


def test_permit_files_follow_the_contract(day: tuple[Path, dict[str, Any]]) -> None:
    landing, truth = day
    for key in (k for k in truth["files"] if k.startswith("stay_permit/")):
        text = (landing / key).read_bytes().decode("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        assert ",".join(rows[0]) == PERMIT_HEADER
        office = Path(key).name.split("_")[0]
        for values in rows[1:]:
            row = dict(zip(rows[0], values, strict=True))
            assert row["office_code"] == office
            assert int(row["record_version"]) >= 1
            assert row["permit_type"] in {"ITK", "ITAS", "ITAP"}
            assert row["status"] in {"ACTIVE", "CANCELLED", "REVOKED"}
            assert row["activity"] in ACTIVITIES and row["sponsor_type"] in SPONSORS
            assert re.fullmatch(r"[A-Z0-9]{5,9}", row["passport_number"])
            assert date.fromisoformat(row["valid_from"]) <= date.fromisoformat(row["valid_until"])
            date.fromisoformat(row["date_of_birth"])
            assert re.search(r"[+-]\d{2}:\d{2}$", row["updated_at"])
            datetime.fromisoformat(row["updated_at"])


def test_visa_files_follow_the_contract(day: tuple[Path, dict[str, Any]]) -> None:
    landing, truth = day
    seen = 0
    for key in (k for k in truth["files"] if k.startswith("visa/")):
        raw = (landing / key).read_bytes()
        text = gzip.decompress(raw).decode("utf-8") if key.endswith(".gz") else raw.decode("utf-8")
        for line in text.splitlines():
            record = json.loads(line)
            assert set(record) == VISA_FIELDS
            assert re.fullmatch(r"[A-Z0-9]{8,20}", record["visa_number"])
            assert record["status"] in {"ISSUED", "CANCELLED", "REVOKED"}
            assert record["purpose"] in ACTIVITIES
            assert record["sponsor"] is None or record["sponsor"]["type"] in SPONSORS
            assert record["sex"] in {"M", "F", "X"}
            assert datetime.fromisoformat(record["issued_at"]).utcoffset() is not None
            date.fromisoformat(record["valid_until"])
            seen += 1
    assert seen == truth["totals"]["visas"]


def test_people_look_real(day: tuple[Path, dict[str, Any]]) -> None:
    landing, truth = day
    surnames: set[str] = set()
    for key in (k for k in truth["files"] if k.startswith("stay_permit/")):
        rows = list(csv.DictReader(io.StringIO((landing / key).read_text(encoding="utf-8"))))
        surnames.update(row["surname"] for row in rows)
    assert not any(re.search(r"\d|_", name) for name in surnames)
    assert len(surnames) > 60
    # Several scripts' romanisations: pinyin, Cyrillic transliteration, Arabic names, Latin diacritics.
    joined = " ".join(surnames)
    assert any(name in joined for name in ("ZHANG", "WANG", "LIU", "CHEN"))
    nationalities = {stay["nationality"] for stay in truth["stays"].values()}
    assert len(nationalities) >= 12
    passports = [stay["passport_number"] for stay in truth["stays"].values()]
    shapes = {re.sub(r"\d", "9", re.sub(r"[A-Z]", "A", p)) for p in passports}
    assert len(shapes) >= 8, shapes


def test_every_rule_is_planted_with_its_records(day: tuple[Path, dict[str, Any]]) -> None:
    _, truth = day
    planted = truth["planted"]
    assert {case["rule_code"] for case in planted} == RULES
    reports = set(truth["stays"])
    for case in planted:
        assert case["report_ids"] and set(case["report_ids"]) <= reports
        assert case["passport_number"] and case["nationality"]
    assert {case["kind"] for case in truth["negatives"]} >= RULES - {"IDENTITY_MISMATCH"}
    assert truth["quarantine_cases"]


def test_seed_makes_the_day_reproducible(tmp_path: Path) -> None:
    first = generate_day(tmp_path / "a", tmp_path / "a.json", seed=5, stays=150)
    second = generate_day(tmp_path / "b", tmp_path / "b.json", seed=5, stays=150)
    assert first["files"] == second["files"]
    for key in first["files"]:
        assert (tmp_path / "a" / key).read_bytes() == (tmp_path / "b" / key).read_bytes()
    other = generate_day(tmp_path / "c", tmp_path / "c.json", seed=6, stays=150)
    assert other["planted"] != first["planted"]


def test_size_knob_scales_the_day(tmp_path: Path) -> None:
    small = generate_day(tmp_path / "s", tmp_path / "s.json", stays=150)
    large = generate_day(tmp_path / "l", tmp_path / "l.json", stays=900)
    assert small["totals"]["stays"] == 150 and large["totals"]["stays"] == 900
    assert len(large["planted"]) > len(small["planted"])


def test_bad_arguments_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a province"):
        generate_day(tmp_path / "x", tmp_path / "x.json", province="99")
    with pytest.raises(ValueError, match="not a regency or city of province 16"):
        generate_day(tmp_path / "x", tmp_path / "x.json", regencies=["31.71"])
    with pytest.raises(ValueError, match="at least 120"):
        generate_day(tmp_path / "x", tmp_path / "x.json", stays=10)


def test_generated_days_keep_report_ids_their_own_and_continue_stays(
    warehouse: str, landing: Path, tmp_path: Path
) -> None:
    """Two generated days: no report id of day one names another guest on day two; guests
    still checked in at the end of day one check out on day two under their report id; the
    two days load with no conflict quarantined and raise exactly their planted cases."""
    import sqlalchemy as sa

    from timpora.evaluation import rule_quality
    from timpora.generator import generate_days
    from timpora.ingest.pipeline import ingest_keys
    from timpora.reconcile.engine import reconcile
    from timpora.warehouse.db import warehouse_engine

    first, second = generate_days(landing, tmp_path / "truth", date(2024, 10, 3), days=2, stays=150, seed=11)
    continued = set(second["generator"]["continues"])
    assert continued, "some guests of day one check out on day two"
    shared = set(first["stays"]) & set(second["stays"])
    assert shared == continued
    for report_id in continued:
        assert first["stays"][report_id]["passport_number"] == second["stays"][report_id]["passport_number"]
    planted_ids = {rid for truth in (first, second) for case in truth["planted"] for rid in case["report_ids"]}
    assert not planted_ids & continued

    for truth in (first, second):
        ingest_keys(truth["files"])
    reconcile(full=True)
    with warehouse_engine().connect() as conn:
        conflicts = conn.execute(
            sa.text("SELECT COUNT(*) FROM quarantine WHERE reasons LIKE '%\"conflict\"%'")
        ).scalar()
        folded = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM guest_stay WHERE report_id IN :ids AND check_out_local IS NOT NULL"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": sorted(continued)},
        ).scalar()
    assert conflicts == 0
    assert folded == len(continued)  # one stay each: the check-in of day one, the check-out of day two
    both = {
        "planted": first["planted"] + second["planted"],
        "negatives": first["negatives"] + second["negatives"],
        "stays": first["stays"] | second["stays"],
    }
    for quality in rule_quality(warehouse_engine(), both):
        assert (quality.precision, quality.recall) == (1.0, 1.0), quality.as_dict()
