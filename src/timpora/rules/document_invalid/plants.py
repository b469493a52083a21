"""DOCUMENT_INVALID in the generator's day: scanned MRZs with failing check digits,
contradicting the typed data, or an expired passport; look-alike: a valid scan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from timpora.documents.mrz import build_td3
from timpora.generator import people as pp
from timpora.generator.scenario import PROFILES, DayBuilder


def planters(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day
    rng = b.rng

    def _scanned(
        case: str,
        why: str,
        mangle: Callable[[tuple[str, str], pp.Person], tuple[str, str]],
        expiry_before_stay: bool = False,
    ) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        b.documents_for(person, profile, D - timedelta(days=5))
        check_in = b.window_check_in()
        if expiry_before_stay:
            stay = b.stay(person, profile, check_in, None, with_mrz=False, allow_noise=False)
            stay.typed["passport_expiry"] = check_in.date() - timedelta(days=rng.randint(20, 400))
        else:
            stay = b.stay(person, profile, check_in, None, with_mrz=True)
            assert stay.mrz is not None
            stay.mrz = mangle(stay.mrz, person)
        b.record(case, "DOCUMENT_INVALID", [stay], why)

    def bad_number_check(mrz: tuple[str, str], _: pp.Person) -> tuple[str, str]:
        line1, line2 = mrz
        digit = str((int(line2[9]) + 1) % 10)
        return line1, line2[:9] + digit + line2[10:]

    def bad_composite(mrz: tuple[str, str], _: pp.Person) -> tuple[str, str]:
        line1, line2 = mrz
        return line1, line2[:43] + str((int(line2[43]) + 3) % 10)

    def other_birth_date(mrz: tuple[str, str], person: pp.Person) -> tuple[str, str]:
        return build_td3(
            person.document_code,
            person.surname,
            person.given_names,
            person.passport_number,
            person.document_code,
            person.date_of_birth - timedelta(days=2 * 365 + 17),
            person.sex,
            person.passport_expiry,
        )

    def other_document(mrz: tuple[str, str], person: pp.Person) -> tuple[str, str]:
        return build_td3(
            person.document_code,
            person.surname,
            person.given_names,
            pp.passport_number(person.nationality, rng),
            person.document_code,
            person.date_of_birth,
            person.sex,
            person.passport_expiry,
        )

    document_cases = [
        lambda c: _scanned(c, "MRZ passport-number check digit fails", bad_number_check),
        lambda c: _scanned(c, "MRZ composite check digit fails", bad_composite),
        lambda c: _scanned(c, "MRZ date of birth contradicts the typed one", other_birth_date),
        lambda c: _scanned(c, "the scanned MRZ is of another passport number", other_document),
        lambda c: _scanned(c, "passport expired before the stay", bad_number_check, expiry_before_stay=True),
    ]

    return document_cases


def near_misses(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day

    def valid_scan(case: str) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        b.documents_for(person, profile, D - timedelta(days=2))
        stay = b.stay(person, profile, b.window_check_in(), None, with_mrz=True)
        b.negative(case, "DOCUMENT_INVALID", [stay], "scanned MRZ with valid check digits, matching the typed data")

    return [valid_scan]
