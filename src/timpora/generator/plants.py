"""Planted cases of every rule, and look-alikes that must not raise a flag.

Each planter builds one person with their documents and stays so that exactly one rule
applies, and records it in the ground truth with the records it concerns. Planted
persons are otherwise in order (reported on time, documents cover them), so a correct
platform raises exactly the planted flags.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from timpora.documents.mrz import build_td3
from timpora.generator import people as pp
from timpora.generator.scenario import OTHER_PROVINCE_ADDRESSES, PROFILES, GuestEvent

if TYPE_CHECKING:
    from timpora.generator.scenario import DayBuilder


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def planters(b: DayBuilder) -> dict[str, list[Callable[[str], None]]]:
    D = b.day
    rng = b.rng

    # --- NO_VALID_PERMIT -------------------------------------------------------------------
    def nvp_no_documents_open(case: str) -> None:
        person = b.person()
        stay = b.stay(person, PROFILES["tourist"], b.window_check_in(), None)
        b.record(case, "NO_VALID_PERMIT", [stay], "no visa and no permit on this passport; checked in")

    def nvp_no_documents_leaving(case: str) -> None:
        person = b.person()
        check_out = b.window_check_out()
        check_in = _at(check_out.date() - timedelta(days=3), 15, 30)
        stay = b.stay(person, PROFILES["tourist"], check_in, check_out)
        b.record(case, "NO_VALID_PERMIT", [stay], "no permit ever issued; three nights then check-out")

    def nvp_visa_without_permit(case: str) -> None:
        person = b.person()
        visa = b.add_visa(person, PROFILES["tourist"], _at(D - timedelta(days=20), 9))
        stay = b.stay(person, PROFILES["tourist"], b.window_check_in(), None)
        b.record(case, "NO_VALID_PERMIT", [stay], "a visa was issued but no stay permit", visa_numbers=[visa])

    # --- OVERSTAY ----------------------------------------------------------------------------
    def overstay_expired_itk(case: str) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        visa = b.add_visa(person, profile, _at(D - timedelta(days=70), 10))
        valid_until = D - timedelta(days=3)
        permit = b.add_permit(person, profile, valid_until - timedelta(days=59), valid_until, b.regencies[0], visa)
        check_out = _at(D, rng.randint(7, 10), rng.choice([0, 20, 40]))
        stay = b.stay(person, profile, _at(D - timedelta(days=6), 14), check_out)
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
        visa = b.add_visa(person, profile, _at(D - timedelta(days=30), 11))
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
            updated=_at(D - timedelta(days=5), 10),
        )
        stay = b.stay(person, profile, b.window_check_in(), None)
        b.record(
            case, "OVERSTAY", [stay], "the permit was cancelled five days before the check-in", permit_numbers=[permit]
        )

    def overstay_expired_itas(case: str) -> None:
        person = b.person()
        profile = PROFILES["worker"]
        visa = b.add_visa(person, profile, _at(D - timedelta(days=200), 9))
        valid_until = D - timedelta(days=2)
        permit = b.add_permit(person, profile, D - timedelta(days=180), valid_until, b.regencies[0], visa)
        stay = b.stay(person, profile, _at(D - timedelta(days=4), 19), _at(D, rng.randint(7, 10)))
        b.record(case, "OVERSTAY", [stay], "ITAS ended two days before the check-out", permit_numbers=[permit])

    # --- IDENTITY_MISMATCH ---------------------------------------------------------------------
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

    # --- PURPOSE_MISMATCH ----------------------------------------------------------------------
    def _purpose(
        case: str,
        profile_name: str,
        occupation: str,
        purpose: str,
        why: str,
        nationality: str | None = None,
        permit_fields: dict[str, str] | None = None,
    ) -> None:
        person = b.person(nationality)
        profile = PROFILES[profile_name]
        check_in = b.window_check_in()
        arrival = check_in.date() - timedelta(days=2)
        visa = b.add_visa(person, profile, _at(arrival - timedelta(days=15), 9)) if profile.visa_index else None
        permit = b.add_permit(
            person, profile, arrival, arrival + timedelta(days=59), b.regencies[0], visa, fields=permit_fields
        )
        stay = b.stay(person, profile, check_in, None, occupation=occupation, purpose=purpose)
        b.record(case, "PURPOSE_MISMATCH", [stay], why, permit_numbers=[permit])

    purpose_cases = [
        lambda c: _purpose(
            c,
            "tourist",
            "Wartawan lepas",
            "liputan pilkada",
            "a freelance journalist covering the election on a tourist visit permit",
        ),
        lambda c: _purpose(
            c,
            "visa_free",
            "Staf LSM",
            "pendampingan masyarakat adat",
            "NGO field work on a visa-free tourist entry",
            nationality="MYS",
        ),
        lambda c: _purpose(
            c, "business", "engineer", "bekerja di proyek tambang", "employment on a business visit permit"
        ),
        lambda c: _purpose(
            c, "tourist", "peneliti", "penelitian lapangan gambut", "field research on a tourist visit permit"
        ),
        lambda c: _purpose(
            c,
            "business",
            "manager",
            "business meeting",
            "sponsored by a media organisation on a business visit permit",
            permit_fields={"sponsor_type": "MEDIA", "sponsor_name": "Harian Global News"},
        ),
        lambda c: _purpose(
            c, "voa_tourist", "filmmaker", "syuting film dokumenter", "film-making on a visa on arrival"
        ),
        lambda c: _purpose(
            c,
            "tourist",
            "journalist",
            "reporting on the regional election",
            "journalist (English) on a tourist visit permit",
        ),
    ]

    # --- REGION_MISMATCH -----------------------------------------------------------------------
    def _away(case: str, profile_name: str, nights: int, address: tuple[str, str]) -> None:
        person = b.person()
        profile = PROFILES[profile_name]
        visa = b.add_visa(person, profile, _at(D - timedelta(days=400), 9)) if profile.visa_index else None
        region, _ = address
        permit = b.add_permit(person, profile, D - timedelta(days=300), D + timedelta(days=200), region, visa)
        check_out = _at(D, rng.randint(7, 10), rng.choice([0, 30]))
        stay = b.stay(person, profile, _at(D - timedelta(days=nights), 14), check_out)
        b.record(
            case,
            "REGION_MISMATCH",
            [stay],
            f"{profile.permit_type} registered in {region}, {nights} nights in a row away from that province",
            permit_numbers=[permit],
        )

    region_cases = [
        lambda c: _away(c, "worker", 35, OTHER_PROVINCE_ADDRESSES[0]),
        lambda c: _away(c, "resident", 41, OTHER_PROVINCE_ADDRESSES[1]),
        lambda c: _away(c, "investor", 32, OTHER_PROVINCE_ADDRESSES[2]),
    ]

    # --- CONCURRENT_STAY -----------------------------------------------------------------------
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
        lambda c: _concurrent(c, _at(D - timedelta(days=1), 13), _at(D, 8, 15)),
        lambda c: _concurrent(c, _at(D - timedelta(days=1), 16), _at(D - timedelta(days=1), 21)),
    ]

    # --- LATE_REPORT ---------------------------------------------------------------------------
    def _late(case: str, check_in: datetime, delay: timedelta) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        b.documents_for(person, profile, check_in.date() - timedelta(days=1))
        stay = b.stay(person, profile, check_in, None, report_delay=delay)
        hours = delay.total_seconds() / 3600
        b.record(case, "LATE_REPORT", [stay], f"check-in reported {hours:.1f} hours after it happened")

    late_cases = [
        lambda c: _late(c, _at(D - timedelta(days=2), 21), timedelta(hours=35, minutes=40)),
        lambda c: _late(c, _at(D - timedelta(days=2), 14), timedelta(hours=25, minutes=30)),
        lambda c: _late(c, _at(D - timedelta(days=3), 20), timedelta(hours=60)),
    ]

    # --- DOCUMENT_INVALID ----------------------------------------------------------------------
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

    return {
        "NO_VALID_PERMIT": [nvp_no_documents_open, nvp_no_documents_leaving, nvp_visa_without_permit],
        "OVERSTAY": [overstay_expired_itk, overstay_cancelled_permit, overstay_expired_itas],
        "IDENTITY_MISMATCH": [identity_other_person, identity_dob, identity_nationality, identity_sex_and_name],
        "PURPOSE_MISMATCH": purpose_cases,
        "REGION_MISMATCH": region_cases,
        "CONCURRENT_STAY": concurrent_cases,
        "LATE_REPORT": late_cases,
        "DOCUMENT_INVALID": document_cases,
    }


def negative_makers(b: DayBuilder) -> list[Callable[[str], None]]:
    """Look-alikes: each resembles a rule's case but is lawful, and must raise nothing."""
    D = b.day
    rng = b.rng

    def _legit(case: str, profile_name: str, kind: str, description: str) -> None:
        person = b.person()
        profile = PROFILES[profile_name]
        check_in = b.window_check_in()
        b.documents_for(person, profile, check_in.date() - timedelta(days=3))
        stay = b.stay(person, profile, check_in, None)
        b.negative(case, kind, [stay], description)

    def journalist_on_journalist_visa(case: str) -> None:
        _legit(case, "journalist", "PURPOSE_MISMATCH", "journalist on a JRN visa and JOURNALISM permit")

    def ngo_staff_on_ngo_work_itas(case: str) -> None:
        _legit(case, "ngo_staff", "PURPOSE_MISMATCH", "NGO staff on a work ITAS sponsored by the NGO")

    def researcher_on_research_itas(case: str) -> None:
        _legit(case, "researcher", "PURPOSE_MISMATCH", "researcher on an E29 research ITAS")

    def worker_on_work_itas(case: str) -> None:
        _legit(case, "worker", "PURPOSE_MISMATCH", "'bekerja' on a work ITAS")

    def extension_in_time(case: str) -> None:
        person = b.person()
        profile = PROFILES["worker"]
        visa = b.add_visa(person, profile, _at(D - timedelta(days=200), 9))
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
            updated=_at(D - timedelta(days=15), 11),
        )
        stay = b.stay(person, profile, _at(D - timedelta(days=12), 15), _at(D, 9, 30))
        b.negative(case, "OVERSTAY", [stay], "permit extended (version 2) before it ran out")

    def back_to_back_lodgings(case: str) -> None:
        person = b.person()
        profile = PROFILES["business"]
        b.documents_for(person, profile, D - timedelta(days=5))
        first = b.stay(
            person, profile, _at(D - timedelta(days=3), 15), _at(D, 7, 30), lodging=b.lodging(b.regencies[0])
        )
        second = b.stay(person, profile, _at(D, 9, 45), None, lodging=b.lodging(b.regencies[1]))
        b.negative(case, "CONCURRENT_STAY", [first, second], "checked out of one lodging, then into another")

    def itas_long_stay_home_province(case: str) -> None:
        person = b.person()
        profile = PROFILES["worker"]
        visa = b.add_visa(person, profile, _at(D - timedelta(days=300), 9))
        home = "16.03" if b.province == "16" else b.regencies[0]
        b.add_permit(person, profile, D - timedelta(days=290), D + timedelta(days=200), home, visa)
        stay = b.stay(person, profile, _at(D - timedelta(days=40), 15), _at(D, 8))
        b.negative(case, "REGION_MISMATCH", [stay], "ITAS of this province: 40 nights at home is no mismatch")

    def itas_short_trip(case: str) -> None:
        person = b.person()
        profile = PROFILES["worker"]
        visa = b.add_visa(person, profile, _at(D - timedelta(days=300), 9))
        region, _ = OTHER_PROVINCE_ADDRESSES[0]
        b.add_permit(person, profile, D - timedelta(days=290), D + timedelta(days=200), region, visa)
        stay = b.stay(person, profile, _at(D - timedelta(days=10), 15), _at(D, 8))
        b.negative(case, "REGION_MISMATCH", [stay], "ITAS from Jakarta on a ten-night trip")

    def itk_long_stay(case: str) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        visa = b.add_visa(person, profile, _at(D - timedelta(days=50), 9))
        b.add_permit(person, profile, D - timedelta(days=42), D + timedelta(days=17), "31.74", visa)
        stay = b.stay(person, profile, _at(D - timedelta(days=40), 15), _at(D, 8))
        b.negative(case, "REGION_MISMATCH", [stay], "a visit permit (ITK) does not register an address to keep")

    def reported_within_a_day(case: str) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        check_in = _at(D - timedelta(days=1), 11, 50)
        b.documents_for(person, profile, check_in.date())
        stay = b.stay(person, profile, check_in, None, report_delay=timedelta(hours=23, minutes=5))
        b.negative(case, "LATE_REPORT", [stay], "reported 23 hours after check-in")

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
        check_in = _at(D - timedelta(days=1), 14)
        stay = b.stay(
            person, profile, check_in, None, allow_noise=False, with_mrz=False, report_delay=timedelta(hours=1)
        )
        wrong = pp.passport_number(person.nationality, rng)
        right = stay.typed["passport_number"]
        stay.typed["passport_number"] = wrong
        stay.events.append(GuestEvent("CORRECTION", check_in + timedelta(hours=3), {"passport_number": right}))
        b.negative(case, "NO_VALID_PERMIT", [stay], "mistyped passport, corrected by the lodging")

    def valid_scan(case: str) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        b.documents_for(person, profile, D - timedelta(days=2))
        stay = b.stay(person, profile, b.window_check_in(), None, with_mrz=True)
        b.negative(case, "DOCUMENT_INVALID", [stay], "scanned MRZ with valid check digits, matching the typed data")

    return [
        journalist_on_journalist_visa,
        ngo_staff_on_ngo_work_itas,
        researcher_on_research_itas,
        worker_on_work_itas,
        extension_in_time,
        back_to_back_lodgings,
        itas_long_stay_home_province,
        itas_short_trip,
        itk_long_stay,
        reported_within_a_day,
        cancelled_stay_without_permit,
        corrected_passport,
        valid_scan,
    ]


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
