"""CONCURRENT_STAY in the generator's day: one passport in two regencies' lodgings on one
night; look-alike: a back-to-back change of lodging.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from timpora.generator.scenario import PROFILES, DayBuilder, at


def planters(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day

    def _concurrent(case: str, first_in: datetime, second_in: datetime) -> None:
        person = b.person()
        profile = PROFILES["business"]
        b.documents_for(person, profile, D - timedelta(days=6))
        first = b.stay(person, profile, first_in, None, lodging=b.lodging(b.regencies[0]))
        second = b.stay(person, profile, second_in, None, lodging=b.lodging(b.regencies[1]))
        b.record(
            case,
            "CONCURRENT_STAY",
            [first, second],
            f"checked in at {first.lodging.region_code} and {second.lodging.region_code} over the same night",
        )

    concurrent_cases = [
        lambda c: _concurrent(c, at(D - timedelta(days=1), 13), at(D, 8, 15)),
        lambda c: _concurrent(c, at(D - timedelta(days=1), 16), at(D - timedelta(days=1), 21)),
    ]

    return concurrent_cases


def near_misses(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day

    def back_to_back_lodgings(case: str) -> None:
        person = b.person()
        profile = PROFILES["business"]
        b.documents_for(person, profile, D - timedelta(days=5))
        first = b.stay(person, profile, at(D - timedelta(days=3), 15), at(D, 7, 30), lodging=b.lodging(b.regencies[0]))
        second = b.stay(person, profile, at(D, 9, 45), None, lodging=b.lodging(b.regencies[1]))
        b.negative(case, "CONCURRENT_STAY", [first, second], "checked out of one lodging, then into another")

    return [back_to_back_lodgings]
