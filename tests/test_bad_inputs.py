"""A corpus of bad inputs: each gets a clear, specific reason and nothing else in the file is lost."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from timpora.config import get_settings
from timpora.feeds.contracts import HOTEL_GUEST_COLUMNS, STAY_PERMIT_COLUMNS
from timpora.ingest.pipeline import IngestResult, ingest_key
from timpora.warehouse.db import warehouse_engine

DAY = "2024/10/03"
GOOD_GUEST = {
    "report_id": "LDG-167101-00001",
    "event": "CHECK_IN",
    "lodging_id": "LDG-167101",
    "lodging_name": "Hotel Sriwijaya Palembang",
    "lodging_region_code": "16.71",
    "guest_surname": "ZHANG",
    "guest_given_names": "WEI",
    "sex": "L",
    "date_of_birth": "03/07/1990",
    "nationality": "CHN",
    "passport_number": "E12345678",
    "passport_expiry": "11/09/2033",
    "check_in": "02/10/2024 13:00",
    "check_out": "",
    "room": "1208",
    "occupation": "jurnalis",
    "purpose_of_visit": "liputan pilkada",
    "reported_at": "02/10/2024 13:30",
    "mrz_line1": "",
    "mrz_line2": "",
}
GOOD_PERMIT = {
    "permit_number": "ITK-24100301",
    "record_version": "1",
    "permit_type": "ITK",
    "status": "ACTIVE",
    "visa_number": "V7316640215",
    "passport_number": "PA1234567",
    "nationality": "AUS",
    "surname": "O'NEILL",
    "given_names": "SARAH JANE",
    "date_of_birth": "1988-02-14",
    "sex": "F",
    "activity": "TOURISM",
    "sponsor_name": "",
    "sponsor_type": "NONE",
    "region_code": "16.71",
    "address": '"Jl. Sudirman No. 12, Palembang"',
    "valid_from": "2024-09-28",
    "valid_until": "2024-11-26",
    "office_code": "KANIM-PLG",
    "updated_at": "2024-09-28T11:02:00+07:00",
}
GOOD_VISA: dict[str, Any] = {
    "visa_number": "V7316640215",
    "record_version": 1,
    "visa_index": "C1",
    "status": "ISSUED",
    "passport_number": "PA1234567",
    "passport_country": "AUS",
    "nationality": "AUS",
    "surname": "O'NEILL",
    "given_names": "SARAH JANE",
    "date_of_birth": "1988-02-14",
    "sex": "F",
    "purpose": "TOURISM",
    "sponsor": None,
    "issued_at": "2024-09-01T10:15:00+07:00",
    "valid_until": "2024-12-01",
    "max_stay_days": 60,
}


def guest_line(seq: int, **changes: str) -> str:
    row = {**GOOD_GUEST, "report_id": f"LDG-167101-{seq:05d}", "room": str(100 + seq), **changes}
    return ";".join(row[c] for c in HOTEL_GUEST_COLUMNS)


def hotel_file(landing: Path, name: str, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> str:
    key = f"hotel_guest/{DAY}/LDG-167101_{name}.csv"
    path = landing / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(newline.join([";".join(HOTEL_GUEST_COLUMNS), *lines, ""]).encode(encoding))
    return key


def quarantined(key: str) -> dict[int, list[dict[str, Any]]]:
    with warehouse_engine(get_settings()).connect() as conn:
        rows = conn.execute(
            sa.text("SELECT line_no, reasons FROM quarantine WHERE object_key = :k AND scope = 'row'"), {"k": key}
        ).fetchall()
    return {int(line): json.loads(reasons) for line, reasons in rows}


def loaded_reports(key: str) -> set[str]:
    with warehouse_engine(get_settings()).connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT e.report_id FROM hotel_guest_event e JOIN file_ledger l ON l.ledger_id = e.ledger_id "
                "WHERE l.object_key = :k"
            ),
            {"k": key},
        ).fetchall()
    return {r[0] for r in rows}


def assert_conserved(result: IngestResult) -> None:
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate


def messages(reasons: list[dict[str, Any]]) -> str:
    return " | ".join(f"{r.get('column', '')}: {r['message_en']} ({r.get('value', '')})" for r in reasons)


GOOD_AROUND = [guest_line(1), guest_line(2)]
GOOD_AFTER = [guest_line(3)]


@pytest.mark.parametrize(
    ("case", "bad_line", "expected"),
    [
        ("broken_quoting", guest_line(9, guest_surname='"ZHANG'), "broken quoting"),
        ("missing_columns", ";".join(guest_line(9).split(";")[:-2]), "found 18: missing columns"),
        ("extra_columns", guest_line(9) + ";surplus", "found 21: extra columns"),
        ("unknown_region", guest_line(9, lodging_region_code="99.99"), "lodging_region_code is not an existing"),
        ("impossible_birth_date", guest_line(9, date_of_birth="31/02/1990"), "date_of_birth must be a real date"),
        ("impossible_check_in", guest_line(9, check_in="32/10/2024 10:00"), "check_in must be a real local time"),
        (
            "check_out_before_check_in",
            guest_line(9, event="CHECK_OUT", check_out="01/10/2024 09:00"),
            "check_out is before check_in",
        ),
        ("formula_in_name", guest_line(9, guest_surname="=cmd|' /C calc'!A0"), "guest_surname holds characters"),
        ("formula_in_free_text", guest_line(9, occupation='=HYPERLINK("http://x")'), "occupation starts like"),
        (
            "sql_looking_name",
            guest_line(9, guest_surname='"O\'Brien; DROP TABLE guest_stay; --"'),
            "guest_surname holds characters",
        ),
        ("unknown_nationality", guest_line(9, nationality="Narnia"), "nationality is neither"),
        ("bad_sex_code", guest_line(9, sex="Q"), "sex must be L, P or X"),
        (
            "future_check_in",
            guest_line(9, check_in="02/10/2031 10:00", reported_at="02/10/2031 11:00"),
            "check_in is before 2000 or after the landing date",
        ),
        ("lodging_of_another_file", guest_line(9, lodging_id="LDG-999901"), "lodging_id differs"),
        ("short_mrz", guest_line(9, mrz_line1="P<CHNZHANG<<WEI", mrz_line2="E12345678"), "mrz_line1 must be 44"),
    ],
)
def test_bad_hotel_row_is_quarantined_and_the_rest_loads(
    warehouse: str, landing: Path, case: str, bad_line: str, expected: str
) -> None:
    key = hotel_file(landing, case, [*GOOD_AROUND, bad_line, *GOOD_AFTER])
    result = ingest_key(key)
    assert_conserved(result)
    assert result.status == "LOADED"
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    bad = quarantined(key)
    assert list(bad) == [4], bad
    assert expected in messages(bad[4]), messages(bad[4])
    assert loaded_reports(key) == {"LDG-167101-00001", "LDG-167101-00002", "LDG-167101-00003"}


def test_plain_apostrophe_names_load(warehouse: str, landing: Path) -> None:
    key = hotel_file(landing, "apostrophe", [guest_line(1, guest_surname="O'Brien", guest_given_names="Seán")])
    result = ingest_key(key)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    with warehouse_engine(get_settings()).connect() as conn:
        assert conn.execute(sa.text("SELECT guest_surname FROM guest_stay")).scalar_one() == "O'Brien"


def test_every_reason_of_a_row_is_kept(warehouse: str, landing: Path) -> None:
    key = hotel_file(landing, "many", [guest_line(1, passport_number="x!", nationality="Narnia", sex="Q")])
    ingest_key(key)
    reasons = quarantined(key)[2]
    columns = {r["column"] for r in reasons}
    assert {"passport_number", "nationality", "sex"} <= columns
    assert all(r["message_en"] and r["message_id"] and r["check"].startswith("expect_") for r in reasons)
    assert {r.get("value") for r in reasons} >= {"x!", "Narnia", "Q"}


@pytest.mark.parametrize(
    ("case", "body", "expected"),
    [
        ("empty", b"", "the file is empty (0 bytes)"),
        (
            "utf16",
            ("\ufeff" + ";".join(HOTEL_GUEST_COLUMNS) + "\n" + guest_line(1) + "\n").encode("utf-16-le"),
            "UTF-16",
        ),
        (
            "neither_encoding",
            (";".join(HOTEL_GUEST_COLUMNS) + "\n").encode()
            + guest_line(1).encode()
            + b"\x81\x8d\n"
            + guest_line(2).encode()
            + b"\xe9\n",
            "neither UTF-8 nor Windows-1252",
        ),
        (
            "missing_header_column",
            (";".join(c for c in HOTEL_GUEST_COLUMNS if c != "room") + "\n" + guest_line(1) + "\n").encode(),
            "missing columns: room",
        ),
        (
            "wrong_delimiter",
            (",".join(HOTEL_GUEST_COLUMNS) + "\n" + guest_line(1).replace(";", ",") + "\n").encode(),
            "the header row has one column",
        ),
    ],
)
def test_unreadable_files_are_quarantined_whole(
    warehouse: str, landing: Path, case: str, body: bytes, expected: str
) -> None:
    key = f"hotel_guest/{DAY}/LDG-167101_{case}.csv"
    (landing / key).parent.mkdir(parents=True, exist_ok=True)
    (landing / key).write_bytes(body)
    result = ingest_key(key)
    assert result.status == "REJECTED"
    assert expected in (result.note or "")
    assert_conserved(result)
    assert result.rows_loaded == 0
    lines = [line for line in body.splitlines() if line.strip()] if case != "utf16" else [b"header", b"row"]
    assert result.rows_quarantined == len(lines)
    with warehouse_engine(get_settings()).connect() as conn:
        file_entry = conn.execute(
            sa.text("SELECT reasons FROM quarantine WHERE object_key = :k AND scope = 'file'"), {"k": key}
        ).scalar_one()
    assert expected in file_entry


def test_header_only_file_loads_nothing_and_says_so(warehouse: str, landing: Path) -> None:
    key = hotel_file(landing, "header_only", [])
    result = ingest_key(key)
    assert (result.status, result.rows_read) == ("LOADED", 0)
    assert result.note == "header only: the file has no data rows"


def test_a_50_mb_line_is_quarantined_without_holding_it(warehouse: str, landing: Path) -> None:
    huge = guest_line(9, occupation="x" * (50 * 1024 * 1024))
    key = hotel_file(landing, "huge_line", [*GOOD_AROUND, huge, *GOOD_AFTER])
    result = ingest_key(key)
    assert_conserved(result)
    assert (result.rows_loaded, result.rows_quarantined) == (3, 1)
    bad = quarantined(key)
    assert "over the 1 MiB limit" in messages(bad[4])
    with warehouse_engine(get_settings()).connect() as conn:
        raw = conn.execute(
            sa.text("SELECT raw FROM quarantine WHERE object_key = :k AND line_no = 4"), {"k": key}
        ).scalar_one()
    assert len(raw) < 70_000 and "not stored whole" in raw


def test_windows_1252_with_crlf_and_stray_spaces(warehouse: str, landing: Path) -> None:
    line = guest_line(
        1, guest_surname=" Müller ", guest_given_names="Jörg  ", nationality=" DE ", passport_number="c4f7-k2l91"
    )
    key = hotel_file(landing, "cp1252", [line], encoding="cp1252", newline="\r\n")
    result = ingest_key(key)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    with warehouse_engine(get_settings()).connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT guest_surname, guest_given_names, nationality, passport_number, check_in_utc FROM guest_stay"
            )
        ).one()
    assert tuple(row[:4]) == ("Müller", "Jörg", "DEU", "C4F7K2L91")
    assert str(row[4]).startswith("2024-10-02 06:00")  # 13:00 WIB is 06:00 UTC


def _permit_file(landing: Path, name: str, lines: list[str]) -> str:
    key = f"stay_permit/{DAY}/KANIM-PLG_{name}.csv"
    path = landing / key
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ",".join(STAY_PERMIT_COLUMNS)
    path.write_text("\n".join([header, *lines, ""]), encoding="utf-8")
    return key


def permit_line(number: str, **changes: str) -> str:
    row = {**GOOD_PERMIT, "permit_number": number, **changes}
    return ",".join(row[c] for c in STAY_PERMIT_COLUMNS)


@pytest.mark.parametrize(
    ("case", "bad_line", "expected"),
    [
        ("unclosed_address_quote", permit_line("ITK-9", address='"Jl. Sudirman No. 12, Palembang'), "broken quoting"),
        ("naive_timestamp", permit_line("ITK-9", updated_at="2024-09-28T11:02:00"), "with its UTC offset"),
        ("ends_before_it_starts", permit_line("ITK-9", valid_until="2024-09-01"), "valid_until is before valid_from"),
        ("version_zero", permit_line("ITK-9", record_version="0"), "record_version must be 1 or more"),
        ("version_not_a_number", permit_line("ITK-9", record_version="two"), "record_version must be a whole number"),
        ("unknown_activity", permit_line("ITK-9", activity="SPYING"), "activity is not an activity code"),
        ("cyrillic_name", permit_line("ITK-9", surname="ИВАНОВ"), "surname must be in Latin script"),
        ("office_of_another_file", permit_line("ITK-9", office_code="KANIM-JKS"), "office_code differs"),
    ],
)
def test_bad_permit_row(warehouse: str, landing: Path, case: str, bad_line: str, expected: str) -> None:
    key = _permit_file(landing, case, [permit_line("ITK-1"), bad_line, permit_line("ITK-2")])
    result = ingest_key(key)
    assert_conserved(result)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert expected in messages(quarantined(key)[3])


def _visa_file(landing: Path, name: str, lines: list[str], compress: bool = False) -> str:
    key = f"visa/{DAY}/evisa_{name}.jsonl" + (".gz" if compress else "")
    path = landing / key
    path.parent.mkdir(parents=True, exist_ok=True)
    body = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(body) if compress else body)
    return key


def visa_line(number: str, **changes: Any) -> str:
    return json.dumps({**GOOD_VISA, "visa_number": number, **changes})


@pytest.mark.parametrize(
    ("case", "bad_line", "expected"),
    [
        ("not_json", '{"visa_number": "V1234567890", ', "not valid JSON"),
        ("not_an_object", '["V1234567890"]', "each line must be a JSON object"),
        ("unknown_field", visa_line("V0000000009", color="blue"), "fields the contract does not know: color"),
        ("sponsor_not_object", visa_line("V0000000009", sponsor="PT X"), "sponsor must be null or an object"),
        ("unknown_visa_index", visa_line("V0000000009", visa_index="Z99"), "visa_index is not a code"),
        ("fractional_version", visa_line("V0000000009", record_version=1.5), "record_version must be a whole number"),
        (
            "missing_field",
            json.dumps({k: v for k, v in GOOD_VISA.items() if k != "issued_at"} | {"visa_number": "V0000000009"}),
            "issued_at must be an ISO 8601",
        ),
        ("short_visa_number", visa_line("V1"), "visa_number must be 8 to 20"),
    ],
)
def test_bad_visa_line(warehouse: str, landing: Path, case: str, bad_line: str, expected: str) -> None:
    key = _visa_file(landing, case, [visa_line("V0000000001"), bad_line, visa_line("V0000000002")])
    result = ingest_key(key)
    assert_conserved(result)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert expected in messages(quarantined(key)[2])


def test_gzip_and_blank_lines(warehouse: str, landing: Path) -> None:
    key = _visa_file(landing, "gz", [visa_line("V0000000001"), "", visa_line("V0000000002")], compress=True)
    result = ingest_key(key)
    assert (result.status, result.rows_read, result.rows_loaded) == ("LOADED", 2, 2)
    broken = landing / f"visa/{DAY}/evisa_broken.jsonl.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    rejected = ingest_key(f"visa/{DAY}/evisa_broken.jsonl.gz")
    assert rejected.status == "REJECTED" and "cannot be read" in (rejected.note or "")


def test_sql_in_values_never_executes(warehouse: str, landing: Path) -> None:
    name = "'; DROP TABLE guest_stay; --"
    line = guest_line(1, occupation=f'"{name}"', purpose_of_visit='"Robert\'); DELETE FROM flag;"')
    key = hotel_file(landing, "sql", [line])
    result = ingest_key(key)
    assert result.rows_loaded == 1
    with warehouse_engine(get_settings()).connect() as conn:
        assert conn.execute(sa.text("SELECT occupation FROM guest_stay")).scalar_one() == name
