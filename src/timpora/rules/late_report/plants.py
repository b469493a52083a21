"""LATE_REPORT in the generator's day: check-ins reported past the threshold; look-alike: one
reported just within it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from timpora.generator.scenario import PROFILES, DayBuilder, at


def planters(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day

    def _late(case: str, check_in: datetime, delay: timedelta) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        b.documents_for(person, profile, check_in.date() - timedelta(days=1))
        stay = b.stay(person, profile, check_in, None, report_delay=delay)
        hours = delay.total_seconds() / 3600
        b.record(case, "LATE_REPORT", [stay], f"check-in reported {hours:.1f} hours after it happened")

    late_cases = [
        lambda c: _late(c, at(D - timedelta(days=2), 21), timedelta(hours=35, minutes=40)),
        lambda c: _late(c, at(D - timedelta(days=2), 14), timedelta(hours=25, minutes=30)),
        lambda c: _late(c, at(D - timedelta(days=3), 20), timedelta(hours=60)),
    ]

    return late_cases


def near_misses(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day

    def reported_within_a_day(case: str) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        check_in = at(D - timedelta(days=1), 11, 50)
        b.documents_for(person, profile, check_in.date())
        stay = b.stay(person, profile, check_in, None, report_delay=timedelta(hours=23, minutes=5))
        b.negative(case, "LATE_REPORT", [stay], "reported 23 hours after check-in")

    return [reported_within_a_day]
