"""Rows a real landing day carries that break the feeds' contract (a region code missing a
digit, an impossible birth date, an unknown nationality): each must be quarantined with a
reason naming its column, not loaded and not lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from timpora.generator import people as pp
from timpora.generator.scenario import PROFILES, DayBuilder


def fault_makers(b: DayBuilder) -> list[Callable[[str], None]]:
    """Rows a real day carries that break the contract: each must land in quarantine."""

    def _guest() -> tuple[pp.Person, object]:
        person = b.person()
        profile = PROFILES["tourist"]
        b.documents_for(person, profile, b.day - timedelta(days=3))
        return person, profile

    def region_typo(case: str) -> None:
        person, profile = _guest()
        stay = b.stay(person, profile, b.window_check_in(), None)  # type: ignore[arg-type]
        b.fault(
            case,
            stay,
            "lodging_region_code",
            stay.lodging.region_code[:4],
            "the lodging system dropped a digit of its region code",
        )

    def impossible_birth_date(case: str) -> None:
        person, profile = _guest()
        stay = b.stay(person, profile, b.window_check_in(), None)  # type: ignore[arg-type]
        b.fault(case, stay, "date_of_birth", f"31/02/{person.date_of_birth.year}", "a date that does not exist")

    def unknown_nationality(case: str) -> None:
        person, profile = _guest()
        stay = b.stay(person, profile, b.window_check_in(), None)  # type: ignore[arg-type]
        b.fault(case, stay, "nationality", "XZ", "a nationality code no list knows")

    return [region_typo, impossible_birth_date, unknown_nationality]
