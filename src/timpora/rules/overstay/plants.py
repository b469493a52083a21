"""OVERSTAY in the generator's day: guests lodging after their permit ended, was cancelled or
expired; look-alike: a permit extended in time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from timpora.generator.scenario import PROFILES, DayBuilder, at


def planters(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day
    rng = b.rng

    def overstay_expired_itk(case: str) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        visa = b.add_visa(person, profile, at(D - timedelta(days=70), 10))
        valid_until = D - timedelta(days=3)
        permit = b.add_permit(person, profile, valid_until - timedelta(days=59), valid_until, b.regencies[0], visa)
        check_out = at(D, rng.randint(7, 10), rng.choice([0, 20, 40]))
        stay = b.stay(person, profile, at(D - timedelta(days=6), 14), check_out)
        b.record(
            case,
            "OVERSTAY",
            [stay],
            "ITK ended three days before the check-out; two nights uncovered",
            permit_numbers=[permit],
        )

    def overstay_cancelled_permit(case: str) -> None:
        person = b.person()
        profile = PROFILES["business"]
        visa = b.add_visa(person, profile, at(D - timedelta(days=30), 11))
        start = D - timedelta(days=20)
        permit = b.add_permit(person, profile, start, start + timedelta(days=59), b.regencies[0], visa)
        b.add_permit(
            person,
            profile,
            start,
            start + timedelta(days=59),
            b.regencies[0],
            visa,
            version=2,
            status="CANCELLED",
            permit_number=permit,
            updated=at(D - timedelta(days=5), 10),
        )
        stay = b.stay(person, profile, b.window_check_in(), None)
        b.record(
            case, "OVERSTAY", [stay], "the permit was cancelled five days before the check-in", permit_numbers=[permit]
        )

    def overstay_expired_itas(case: str) -> None:
        person = b.person()
        profile = PROFILES["worker"]
        visa = b.add_visa(person, profile, at(D - timedelta(days=200), 9))
        valid_until = D - timedelta(days=2)
        permit = b.add_permit(person, profile, D - timedelta(days=180), valid_until, b.regencies[0], visa)
        stay = b.stay(person, profile, at(D - timedelta(days=4), 19), at(D, rng.randint(7, 10)))
        b.record(case, "OVERSTAY", [stay], "ITAS ended two days before the check-out", permit_numbers=[permit])

    return [overstay_expired_itk, overstay_cancelled_permit, overstay_expired_itas]


def near_misses(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day

    def extension_in_time(case: str) -> None:
        person = b.person()
        profile = PROFILES["worker"]
        visa = b.add_visa(person, profile, at(D - timedelta(days=200), 9))
        start = D - timedelta(days=190)
        permit = b.add_permit(person, profile, start, D - timedelta(days=10), b.regencies[0], visa)
        b.add_permit(
            person,
            profile,
            start,
            D + timedelta(days=90),
            b.regencies[0],
            visa,
            version=2,
            permit_number=permit,
            updated=at(D - timedelta(days=15), 11),
        )
        stay = b.stay(person, profile, at(D - timedelta(days=12), 15), at(D, 9, 30))
        b.negative(case, "OVERSTAY", [stay], "permit extended (version 2) before it ran out")

    return [extension_in_time]
