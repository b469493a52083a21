"""NO_VALID_PERMIT in the generator's day: guests with no permit ever issued on their passport
(a visa alone at most); look-alikes: a cancelled stay, a mistyped passport the lodging
corrected.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from timpora.generator import people as pp
from timpora.generator.scenario import PROFILES, DayBuilder, GuestEvent, at


def planters(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day

    def nvp_no_documents_open(case: str) -> None:
        person = b.person()
        stay = b.stay(person, PROFILES["tourist"], b.window_check_in(), None)
        b.record(case, "NO_VALID_PERMIT", [stay], "no visa and no permit on this passport; checked in")

    def nvp_no_documents_leaving(case: str) -> None:
        person = b.person()
        check_out = b.window_check_out()
        check_in = at(check_out.date() - timedelta(days=3), 15, 30)
        stay = b.stay(person, PROFILES["tourist"], check_in, check_out)
        b.record(case, "NO_VALID_PERMIT", [stay], "no permit ever issued; three nights then check-out")

    def nvp_visa_without_permit(case: str) -> None:
        person = b.person()
        visa = b.add_visa(person, PROFILES["tourist"], at(D - timedelta(days=20), 9))
        stay = b.stay(person, PROFILES["tourist"], b.window_check_in(), None)
        b.record(case, "NO_VALID_PERMIT", [stay], "a visa was issued but no stay permit", visa_numbers=[visa])

    return [nvp_no_documents_open, nvp_no_documents_leaving, nvp_visa_without_permit]


def near_misses(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day
    rng = b.rng

    def cancelled_stay_without_permit(case: str) -> None:
        person = b.person()
        stay = b.stay(person, PROFILES["tourist"], b.window_check_in(), None)
        last = max(e.reported_at for e in stay.events)
        stay.events.append(GuestEvent("CANCEL", min(last + timedelta(minutes=25), b.export_end)))
        b.negative(case, "NO_VALID_PERMIT", [stay], "the lodging cancelled the stay: it never happened")

    def corrected_passport(case: str) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        b.documents_for(person, profile, D - timedelta(days=3))
        check_in = at(D - timedelta(days=1), 14)
        stay = b.stay(
            person, profile, check_in, None, allow_noise=False, with_mrz=False, report_delay=timedelta(hours=1)
        )
        wrong = pp.passport_number(person.nationality, rng)
        right = stay.typed["passport_number"]
        stay.typed["passport_number"] = wrong
        stay.events.append(GuestEvent("CORRECTION", check_in + timedelta(hours=3), {"passport_number": right}))
        b.negative(case, "NO_VALID_PERMIT", [stay], "mistyped passport, corrected by the lodging")

    return [cancelled_stay_without_permit, corrected_passport]
