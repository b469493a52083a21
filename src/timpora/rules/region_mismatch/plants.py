"""REGION_MISMATCH in the generator's day: ITAS/ITAP holders away from their registered
province past the threshold; look-alikes: at home, a short trip, a visit permit that
registers no address.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from timpora.generator.scenario import OTHER_PROVINCE_ADDRESSES, PROFILES, DayBuilder, at


def planters(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day
    rng = b.rng

    def _away(case: str, profile_name: str, nights: int, address: tuple[str, str]) -> None:
        person = b.person()
        profile = PROFILES[profile_name]
        visa = b.add_visa(person, profile, at(D - timedelta(days=400), 9)) if profile.visa_index else None
        region, _ = address
        permit = b.add_permit(person, profile, D - timedelta(days=300), D + timedelta(days=200), region, visa)
        check_out = at(D, rng.randint(7, 10), rng.choice([0, 30]))
        stay = b.stay(person, profile, at(D - timedelta(days=nights), 14), check_out)
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

    return region_cases


def near_misses(b: DayBuilder) -> list[Callable[[str], None]]:
    D = b.day

    def itas_long_stay_home_province(case: str) -> None:
        person = b.person()
        profile = PROFILES["worker"]
        visa = b.add_visa(person, profile, at(D - timedelta(days=300), 9))
        home = "16.03" if b.province == "16" else b.regencies[0]
        b.add_permit(person, profile, D - timedelta(days=290), D + timedelta(days=200), home, visa)
        stay = b.stay(person, profile, at(D - timedelta(days=40), 15), at(D, 8))
        b.negative(case, "REGION_MISMATCH", [stay], "ITAS of this province: 40 nights at home is no mismatch")

    def itas_short_trip(case: str) -> None:
        person = b.person()
        profile = PROFILES["worker"]
        visa = b.add_visa(person, profile, at(D - timedelta(days=300), 9))
        region, _ = OTHER_PROVINCE_ADDRESSES[0]
        b.add_permit(person, profile, D - timedelta(days=290), D + timedelta(days=200), region, visa)
        stay = b.stay(person, profile, at(D - timedelta(days=10), 15), at(D, 8))
        b.negative(case, "REGION_MISMATCH", [stay], "ITAS from Jakarta on a ten-night trip")

    def itk_long_stay(case: str) -> None:
        person = b.person()
        profile = PROFILES["tourist"]
        visa = b.add_visa(person, profile, at(D - timedelta(days=50), 9))
        b.add_permit(person, profile, D - timedelta(days=42), D + timedelta(days=17), "31.74", visa)
        stay = b.stay(person, profile, at(D - timedelta(days=40), 15), at(D, 8))
        b.negative(case, "REGION_MISMATCH", [stay], "a visit permit (ITK) does not register an address to keep")

    return [itas_long_stay_home_province, itas_short_trip, itk_long_stay]
