"""DOCUMENT_INVALID reads an MRZ as ICAO 9303 writes it, not only its check digits (issue 39).

Every single-character corruption of line 2 of generated valid passports must be found,
by a check digit or by the form (six-digit real dates, sex M/F/<, known ICAO codes), unless
the corrupted line is itself a valid TD3 line 2, as an independent reading of the standard
(the oracle below, character by character) says.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from timpora.documents.mrz import build_td3, check_digit
from timpora.reference import icao_document_codes
from timpora.rules.config import load_rules_config
from timpora.rules.document import _CHECK_FINDING, document_findings

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
FORM = [
    "MRZ_DOCUMENT_CODE_INVALID",
    "MRZ_ISSUING_STATE_UNKNOWN",
    "MRZ_NATIONALITY_UNKNOWN",
    "MRZ_DATE_OF_BIRTH_MALFORMED",
    "MRZ_EXPIRY_MALFORMED",
    "MRZ_SEX_INVALID",
]
PASSPORTS = [
    ("AUS", "SMITH", "ANNA MARIA", "PA1234567", "AUS", date(1988, 2, 14), "F", date(2031, 5, 20), ""),
    ("D", "MUELLER", "JONAS", "C01X00T47", "D", date(1975, 12, 31), "M", date(2029, 1, 1), "1234567890"),
    ("CHN", "LIU", "MING", "E12345678", "CHN", date(2000, 2, 29), "M", date(2033, 9, 11), ""),
]


def _date_ok(text: str) -> bool:
    if len(text) != 6 or not text.isdigit():
        return False
    try:
        datetime.strptime(text, "%y%m%d")
    except ValueError:
        return False
    return True


def oracle_valid(line2: str) -> bool:
    """A TD3 line 2 as ICAO 9303-4 defines it, read one field at a time."""
    codes = icao_document_codes()
    number, personal = line2[0:9], line2[28:42]
    checks = [
        check_digit(number) == line2[9],
        check_digit(line2[13:19]) == line2[19],
        check_digit(line2[21:27]) == line2[27],
        (line2[42] in "<0") if set(personal) == {"<"} else check_digit(personal) == line2[42],
        check_digit(line2[0:10] + line2[13:20] + line2[21:43]) == line2[43],
    ]
    form = [
        line2[10:13].replace("<", "") in codes,
        _date_ok(line2[13:19]),
        line2[20] in "MF<",
        _date_ok(line2[21:27]),
    ]
    return all(checks) and all(form)


def _cases(lines: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mrz_line1": [a for a, _ in lines],
            "mrz_line2": [b for _, b in lines],
            "passport_number": "X",
            "date_of_birth": "1990-01-01",
            "sex": "M",
            "nationality": "AUS",
            "guest_surname": "X",
            "guest_given_names": "Y",
            "check_in_date": "2024-10-02",
            "passport_expiry": "2030-01-01",
        }
    )


def _structural(findings: pd.DataFrame) -> pd.Series:
    return findings[[*_CHECK_FINDING.values(), *FORM]].any(axis=1)


def test_valid_passports_have_no_structural_finding() -> None:
    lines = [build_td3(*p) for p in PASSPORTS]
    findings = document_findings(_cases(lines), load_rules_config().linking)
    assert not _structural(findings).any(), findings[[*FORM]].to_dict("records")
    assert all(oracle_valid(line2) for _, line2 in lines)


def test_every_single_character_corruption_of_line_2_is_found_unless_it_is_a_valid_td3() -> None:
    corrupted: list[tuple[str, str]] = []
    for passport in PASSPORTS:
        line1, line2 = build_td3(*passport)
        for position in range(44):
            for char in ALPHABET:
                if char != line2[position]:
                    corrupted.append((line1, line2[:position] + char + line2[position + 1 :]))
    findings = document_findings(_cases(corrupted), load_rules_config().linking)
    found = _structural(findings).tolist()
    expected = [not oracle_valid(line2) for _, line2 in corrupted]
    mismatches = [corrupted[i][1] for i in range(len(corrupted)) if found[i] != expected[i]]
    assert not mismatches, mismatches[:10]
    # The check digits alone miss these (the nationality has none; a letter ten away from a
    # digit keeps the 7-3-1 sum): the form finds them.
    by_form_only = findings[FORM].any(axis=1) & ~findings[list(_CHECK_FINDING.values())].any(axis=1)
    assert by_form_only.sum() > 100
    assert sum(expected) / len(expected) > 0.9  # nearly every corruption breaks the TD3


@pytest.mark.parametrize(
    ("line1_edit", "line2_edit", "code"),
    [
        (("V", 0), None, "MRZ_DOCUMENT_CODE_INVALID"),
        (("Q", 2), None, "MRZ_ISSUING_STATE_UNKNOWN"),
        (None, ("Q", 12), "MRZ_NATIONALITY_UNKNOWN"),
        (None, ("X", 20), "MRZ_SEX_INVALID"),
    ],
)
def test_each_form_problem_is_named(
    line1_edit: tuple[str, int] | None, line2_edit: tuple[str, int] | None, code: str
) -> None:
    line1, line2 = build_td3(*PASSPORTS[0])
    if line1_edit:
        char, at = line1_edit
        line1 = line1[:at] + char + line1[at + 1 :]
    if line2_edit:
        char, at = line2_edit
        line2 = line2[:at] + char + line2[at + 1 :]
    findings = document_findings(_cases([(line1, line2)]), load_rules_config().linking).iloc[0]
    assert findings[code]
    assert not any(findings[c] for c in _CHECK_FINDING.values())  # check digits all hold


def test_the_flag_page_marks_the_malformed_field_in_the_mrz() -> None:
    from timpora.review.panels import mrz_view

    line1, line2 = build_td3(*PASSPORTS[0])
    view = mrz_view(
        {"line1": line1[:2] + "AUQ" + line1[5:], "line2": line2, "check_digits": {}, "fields": {}},
        "id",
        ["MRZ_ISSUING_STATE_UNKNOWN"],
    )
    assert view is not None
    assert [c["mark"] for c in view["lines"][0][:6]] == ["", "", "decisive", "decisive", "decisive", ""]
