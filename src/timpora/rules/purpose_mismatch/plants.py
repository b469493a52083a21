"""PURPOSE_MISMATCH in the generator's day: journalists, NGO staff, researchers, workers and
film-makers on documents that do not allow it; look-alikes: each on the document that does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from timpora.generator.scenario import PROFILES, DayBuilder, at


def planters(b: DayBuilder) -> list[Callable[[str], None]]:

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
        visa = b.add_visa(person, profile, at(arrival - timedelta(days=15), 9)) if profile.visa_index else None
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

    return purpose_cases


def near_misses(b: DayBuilder) -> list[Callable[[str], None]]:

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

    return [journalist_on_journalist_visa, ngo_staff_on_ngo_work_itas, researcher_on_research_itas, worker_on_work_itas]
