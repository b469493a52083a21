"""IDENTITY_MISMATCH in the generator's day: someone else, or other birth date, nationality or
sex, on a permit holder's passport; look-alike: the holder typed with every kind of desk
noise at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from timpora.generator import people as pp
from timpora.generator.scenario import PROFILES, DayBuilder


def planters(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day
    rng = b.rng

    def _holder_and_guest(profile_name: str) -> tuple[pp.Person, str, dict[str, object]]:
        holder = b.person()
        docs = b.documents_for(holder, PROFILES[profile_name], D - timedelta(days=10))
        return holder, str(docs["permit_number"]), docs

    def identity_other_person(case: str) -> None:
        holder, permit, _ = _holder_and_guest("tourist")
        other = pp.make_person("X" + holder.person_id, rng, D, holder.nationality)
        while other.surname == holder.surname or other.given_names == holder.given_names:
            other = pp.make_person("X" + holder.person_id, rng, D, holder.nationality)
        guest = other.with_changes(
            passport_number=holder.passport_number,
            passport_expiry=holder.passport_expiry,
            person_id=holder.person_id + "-IMPOSTOR",
        )
        stay = b.stay(guest, PROFILES["tourist"], b.window_check_in(), None, allow_noise=False, with_mrz=False)
        b.record(
            case,
            "IDENTITY_MISMATCH",
            [stay],
            "someone else lodges on the permit holder's passport",
            permit_numbers=[permit],
        )

    def identity_dob(case: str) -> None:
        holder, permit, _ = _holder_and_guest("business")
        guest = holder.with_changes(
            date_of_birth=holder.date_of_birth - timedelta(days=7 * 365 + 40), person_id=holder.person_id + "-DOB"
        )
        stay = b.stay(guest, PROFILES["business"], b.window_check_in(), None, allow_noise=False, with_mrz=False)
        b.record(
            case, "IDENTITY_MISMATCH", [stay], "same name, date of birth seven years apart", permit_numbers=[permit]
        )

    def identity_nationality(case: str) -> None:
        holder = b.person("CHN")
        docs = b.documents_for(holder, PROFILES["tourist"], D - timedelta(days=10))
        guest = holder.with_changes(nationality="TWN", document_code="TWN", person_id=holder.person_id + "-NAT")
        stay = b.stay(guest, PROFILES["tourist"], b.window_check_in(), None, allow_noise=False, with_mrz=False)
        b.record(
            case,
            "IDENTITY_MISMATCH",
            [stay],
            "passport matches but the guest declares another nationality",
            permit_numbers=[docs["permit_number"]],
        )

    def identity_sex_and_name(case: str) -> None:
        holder, permit, _ = _holder_and_guest("worker")
        sex = "F" if holder.sex == "M" else "M"
        given = rng.choice(pp.given_names_for(holder.nationality, sex))
        guest = holder.with_changes(
            sex=sex,
            given_names=given,
            person_id=holder.person_id + "-SPOUSE",
            date_of_birth=holder.date_of_birth + timedelta(days=3 * 365 + 100),
        )
        stay = b.stay(guest, PROFILES["family"], b.window_check_in(), None, allow_noise=False, with_mrz=False)
        b.record(
            case,
            "IDENTITY_MISMATCH",
            [stay],
            "a relative lodges on the holder's passport (sex, name, birth)",
            permit_numbers=[permit],
        )

    return [identity_other_person, identity_dob, identity_nationality, identity_sex_and_name]


def near_misses(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day
    rng = b.rng

    def noisy_holder(case: str) -> None:
        """The permit holder themself, typed at the desk with every kind of noise the linker
        must see through at once: a slip in the surname, day and month of birth swapped, a
        letter O for a zero in the passport number."""
        holder = b.person()
        while not (holder.date_of_birth.day <= 12 and holder.date_of_birth.day != holder.date_of_birth.month):
            holder = b.person()
        docs = b.documents_for(holder, PROFILES["tourist"], D - timedelta(days=8))
        stay = b.stay(holder, PROFILES["tourist"], b.window_check_in(), None, allow_noise=False, with_mrz=False)
        slipped = pp.typo(stay.typed["guest_surname"], rng)
        if slipped:
            stay.typed["guest_surname"] = slipped
            stay.noise.append("typo")
        dob = holder.date_of_birth
        stay.typed["date_of_birth"] = date(dob.year, dob.day, dob.month)
        stay.noise.append("dob_swap")
        confused = pp.passport_confusion(holder.passport_number, rng)
        if confused:
            stay.typed["passport_number"] = confused
            stay.noise.append("passport_confusion")
        b.negative(
            case,
            "IDENTITY_MISMATCH",
            [stay],
            f"the holder of permit {docs['permit_number']}, typed with a slip, a swapped birth date and O for 0",
        )

    return [noisy_holder]
