"""Pieces of flag descriptions the rules share: the stay as a flag shows it, the guest
phrase, the nights phrase, the lodging phrase, each built column-wise over a page of cases.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from timpora.feeds.normalise import TEXT
from timpora.rules import text as tx


def stay_evidence(cases: pd.DataFrame, prefix: str = "") -> dict[str, Any]:
    """The lodging report as the flag shows it."""
    return {
        "report_id": cases[f"{prefix}report_id"] if f"{prefix}report_id" in cases else cases["report_id"],
        "lodging_id": cases[f"{prefix}lodging_id"],
        "lodging_name": cases[f"{prefix}lodging_name"],
        "region_code": cases[f"{prefix}region_code"],
        "region_name": cases[f"{prefix}region_name"],
        "guest_surname": cases[f"{prefix}guest_surname"],
        "guest_given_names": cases[f"{prefix}guest_given_names"],
        "passport_number_as_typed": cases[f"{prefix}passport_number_raw"],
        "check_in_local": tx.iso_time(cases[f"{prefix}check_in_local"]),
        "check_out_local": tx.iso_time(cases[f"{prefix}check_out_local"]),
    }


def guest_evidence(cases: pd.DataFrame) -> dict[str, Any]:
    return {
        **stay_evidence(cases),
        "date_of_birth": tx.iso_date(cases["date_of_birth"]),
        "sex": cases["sex"],
        "nationality": cases["nationality"],
        "passport_number": cases["passport_number"],
    }


def nights_evidence(cases: pd.DataFrame) -> dict[str, Any]:
    return {
        "first": tx.iso_date(cases["first_night"]),
        "last": tx.iso_date(cases["last_night"]),
        "count": cases.get("night_count"),
    }


def nights_phrase(cases: pd.DataFrame, language: str) -> pd.Series:
    """``3 malam (30 Sep 2024 s.d. 2 Okt 2024)``, or ``1 malam (3 Okt 2024)`` for a single night."""
    count = cases["night_count"].astype("Int64").astype(TEXT)
    first, last = tx.day_text(cases["first_night"], language), tx.day_text(cases["last_night"], language)
    single = first == last
    if language == "id":
        span = ("(" + first + " s.d. " + last + ")").where(~single, "(" + first + ")")
        return count + " malam " + span
    span = ("(" + first + " to " + last + ")").where(~single, "(" + first + ")")
    return count + " night(s) " + span


def who(cases: pd.DataFrame, language: str) -> pd.Series:
    name = tx.person_name(cases["guest_surname"], cases["guest_given_names"])
    word = ("Tamu ", " (paspor ") if language == "id" else ("Guest ", " (passport ")
    return word[0] + name + word[1] + tx.text(cases["passport_number"]) + ", " + tx.text(cases["nationality"]) + ")"


def stayed(cases: pd.DataFrame, language: str) -> pd.Series:
    """``Tamu … menginap di <lodging> selama <nights>`` / ``Guest … stayed at … for …``,
    the opening of the coverage rules' reasons."""
    if language == "id":
        return who(cases, "id") + " menginap di " + where(cases) + " selama " + nights_phrase(cases, "id")
    return who(cases, "en") + " stayed at " + where(cases) + " for " + nights_phrase(cases, "en")


def where(cases: pd.DataFrame, prefix: str = "") -> pd.Series:
    return tx.text(cases[f"{prefix}lodging_name"]) + ", " + tx.text(cases[f"{prefix}region_name"])


def person_stay(cases: pd.DataFrame) -> pd.Series:
    return tx.text(cases["person_key"]) + "|" + tx.text(cases["report_id"])


def single_report(cases: pd.DataFrame) -> list[list[str]]:
    return [[rid] for rid in cases["report_id"].tolist()]
