"""One landing day of foreign-guest oversight, with known truth.

The day D's files hold what the three systems export that day: the e-Visa records and
stay permits of the people concerned, and each lodging's guest events reported in the 24
hours before D 12:00 local time (check-ins, check-outs, corrections, cancellations).
Most guests are in order. Planted among them are cases of every rule of DESIGN.md, and
look-alike cases that must *not* raise a flag (a journalist on a journalist visa, a
back-to-back change of hotel, an extension that arrived in time, typing noise). The
ground truth lists both, so tests and reports can measure the platform against it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from timpora.generator import people as pp
from timpora.reference import regions

OFFICES_BY_PROVINCE = {
    "16": ("KANIM-PLG", "KANIM-MRE"),
    "31": ("KANIM-JKS",),
    "51": ("KANIM-DPS",),
    "12": ("KANIM-MDN",),
    "21": ("KANIM-BTM",),
    "35": ("KANIM-SBY",),
}
# Registered addresses elsewhere in the country, for ITAS holders who travel to the region.
OTHER_PROVINCE_ADDRESSES = [
    ("31.74", "Jl. Jend. Sudirman Kav. 52, Jakarta Selatan"),
    ("51.71", "Jl. Teuku Umar No. 88, Denpasar"),
    ("12.71", "Jl. Imam Bonjol No. 17, Medan"),
    ("21.71", "Jl. Engku Putri No. 3, Batam Centre"),
]
LODGING_NAMES = {
    "16.71": [
        "Hotel Sriwijaya Palembang",
        "Hotel Aryaduta Palembang",
        "Hotel Santika Radial",
        "Wisma Musi Indah",
        "Hotel Swarna Dwipa",
        "Grand Zuri Palembang",
        "Hotel Princess Palembang",
        "Penginapan Ampera",
    ],
    "16.72": [
        "Hotel Gunung Gare",
        "Villa Gunung Dempo",
        "Hotel Dempo Asri",
        "Penginapan Besemah",
        "Wisma Kebun Teh",
        "Hotel Mutiara Pagar Alam",
    ],
}
STREETS = {
    "16.71": ["Jl. Jend. Sudirman", "Jl. Demang Lebar Daun", "Jl. Kapten A. Rivai", "Jl. Veteran", "Jl. Basuki Rahmat"],
    "16.72": ["Jl. Mayor Ruslan", "Jl. Serma Wanar", "Jl. Kapten Sanap", "Jl. Lettu Hamid"],
}
COUNTRY_NAMES_ID = {
    "CHN": "Tiongkok",
    "DEU": "Jerman",
    "NLD": "Belanda",
    "GBR": "Inggris",
    "USA": "Amerika Serikat",
    "JPN": "Jepang",
    "KOR": "Korea Selatan",
    "FRA": "Prancis",
    "RUS": "Rusia",
    "SAU": "Arab Saudi",
    "EGY": "Mesir",
    "PHL": "Filipina",
    "SGP": "Singapura",
    "ESP": "Spanyol",
    "TUR": "Turki",
    "AUS": "Australia",
    "MYS": "Malaysia",
    "IND": "India",
    "VNM": "Vietnam",
    "THA": "Thailand",
    "TWN": "Taiwan",
}
COUNTRY_NAMES_EN = {
    "CHN": "CHINA",
    "DEU": "GERMANY",
    "NLD": "NETHERLANDS",
    "GBR": "UNITED KINGDOM",
    "USA": "UNITED STATES",
    "JPN": "JAPAN",
    "KOR": "SOUTH KOREA",
    "FRA": "FRANCE",
    "RUS": "RUSSIA",
    "SAU": "SAUDI ARABIA",
    "EGY": "EGYPT",
    "PHL": "PHILIPPINES",
    "SGP": "SINGAPORE",
    "ESP": "SPAIN",
    "TUR": "TURKEY",
    "AUS": "AUSTRALIA",
    "MYS": "MALAYSIA",
    "IND": "INDIA",
    "VNM": "VIETNAM",
    "THA": "THAILAND",
    "TWN": "TAIWAN",
}
ALPHA2 = {
    "CHN": "CN",
    "DEU": "DE",
    "NLD": "NL",
    "GBR": "GB",
    "USA": "US",
    "JPN": "JP",
    "KOR": "KR",
    "FRA": "FR",
    "RUS": "RU",
    "SAU": "SA",
    "EGY": "EG",
    "PHL": "PH",
    "SGP": "SG",
    "ESP": "ES",
    "TUR": "TR",
    "AUS": "AU",
    "MYS": "MY",
    "IND": "IN",
    "VNM": "VN",
    "THA": "TH",
    "TWN": "TW",
}
# Indonesian companies, universities, media and NGOs that sponsor foreigners.
SPONSORS = {
    "COMPANY": [
        "PT Bukit Asam Tbk",
        "PT Pertamina Hulu Rokan",
        "PT Sumsel Energi Gemilang",
        "PT Musi Hutan Persada",
        "PT Semen Baturaja Tbk",
        "PT Pusri Palembang",
        "PT Huadian Bukit Asam Power",
    ],
    "UNIVERSITY": ["Universitas Sriwijaya", "UIN Raden Fatah Palembang", "Universitas Muhammadiyah Palembang"],
    "MEDIA": ["Xinhua News Agency", "Reuters", "ABC Australia", "NHK", "Deutsche Welle", "Al Jazeera"],
    "NGO": [
        "Yayasan Hutan Kita",
        "Wahana Lingkungan Hidup Sumsel",
        "Save the Children Indonesia",
        "Yayasan Pendidikan Rakyat",
    ],
    "INDIVIDUAL": ["Siti Rahmawati", "Budi Santoso", "Dewi Lestari", "Ahmad Fauzi", "Rina Marlina"],
}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local moment of ``day``, for the plants' schedules."""
    return datetime.combine(day, time(hour, minute))


@dataclass
class Profile:
    """How a visitor is in the country: visa index, permit type and activity, sponsor, and
    what they tell the lodging desk."""

    name: str
    visa_index: str | None
    permit_type: str
    activity: str
    sponsor_type: str
    occupations: list[str]
    purposes: list[str]
    permit_days: tuple[int, int]


PROFILES: dict[str, Profile] = {
    "tourist": Profile(
        "tourist",
        "C1",
        "ITK",
        "TOURISM",
        "NONE",
        [
            "tourist",
            "wisatawan",
            "pensiunan",
            "retired",
            "teacher",
            "guru",
            "mahasiswa",
            "accountant",
            "dokter",
            "nurse",
            "chef",
            "arsitek",
        ],
        [
            "liburan",
            "holiday",
            "wisata",
            "sightseeing",
            "visiting friends",
            "berlibur",
            "wisata Gunung Dempo",
            "wisata kuliner",
            "transit",
        ],
        (30, 60),
    ),
    "voa_tourist": Profile(
        "voa_tourist",
        "B1",
        "ITK",
        "TOURISM",
        "NONE",
        ["tourist", "wisatawan", "pensiunan", "photographer hobbyist", "mahasiswa"],
        ["liburan", "holiday", "wisata", "backpacking"],
        (30, 30),
    ),
    "visa_free": Profile(
        "visa_free",
        None,
        "ITK",
        "TOURISM",
        "NONE",
        ["wisatawan", "tourist", "pegawai swasta", "pedagang", "mahasiswa"],
        ["liburan", "kunjungan keluarga", "wisata", "holiday"],
        (30, 30),
    ),
    "business": Profile(
        "business",
        "C2",
        "ITK",
        "BUSINESS",
        "COMPANY",
        ["manager", "direktur", "sales manager", "business owner", "konsultan", "procurement officer"],
        ["business meeting", "rapat bisnis", "kunjungan bisnis", "negosiasi kontrak", "meeting with partners"],
        (60, 60),
    ),
    "worker": Profile(
        "worker",
        "E23",
        "ITAS",
        "WORK",
        "COMPANY",
        ["engineer", "teknisi", "geologist", "mine supervisor", "site manager", "insinyur"],
        ["bekerja", "project work", "proyek PLTU", "tugas kantor", "work assignment"],
        (180, 365),
    ),
    "researcher": Profile(
        "researcher",
        "E29",
        "ITAS",
        "RESEARCH",
        "UNIVERSITY",
        ["peneliti", "researcher", "dosen", "lecturer", "ecologist"],
        ["penelitian", "field research", "riset lapangan", "penelitian gambut"],
        (180, 365),
    ),
    "journalist": Profile(
        "journalist",
        "JRN",
        "ITK",
        "JOURNALISM",
        "MEDIA",
        ["jurnalis", "wartawan", "reporter", "correspondent"],
        ["liputan pilkada", "reporting", "liputan berita", "news coverage"],
        (30, 60),
    ),
    "family": Profile(
        "family",
        "E31A",
        "ITAS",
        "FAMILY",
        "INDIVIDUAL",
        ["ibu rumah tangga", "housewife", "homemaker", "wiraswasta"],
        ["kunjungan keluarga", "visiting family", "family visit", "pulang ke rumah mertua"],
        (180, 365),
    ),
    "investor": Profile(
        "investor",
        "E28A",
        "ITAS",
        "INVESTMENT",
        "COMPANY",
        ["investor", "direktur", "business owner"],
        ["investasi", "investment review", "kunjungan pabrik"],
        (365, 730),
    ),
    "remote": Profile(
        "remote",
        "E33G",
        "ITAS",
        "REMOTE_WORK",
        "NONE",
        ["software developer", "graphic designer", "programmer", "content writer"],
        ["workation", "remote work for a foreign employer", "liburan"],
        (180, 365),
    ),
    "ngo_staff": Profile(
        "ngo_staff",
        "E23",
        "ITAS",
        "WORK",
        "NGO",
        ["Staf LSM", "NGO staff", "program officer"],
        ["program LSM", "pendampingan masyarakat", "NGO program"],
        (180, 365),
    ),
    "resident": Profile(
        "resident",
        None,
        "ITAP",
        "FAMILY",
        "INDIVIDUAL",
        ["pensiunan", "retired", "wiraswasta"],
        ["kunjungan keluarga", "pulang", "liburan"],
        (1800, 1825),
    ),
}
PROFILE_WEIGHTS = {
    "tourist": 24,
    "voa_tourist": 8,
    "visa_free": 14,
    "business": 14,
    "worker": 16,
    "researcher": 3,
    "journalist": 3,
    "family": 5,
    "investor": 4,
    "remote": 3,
    "ngo_staff": 2,
    "resident": 4,
}


@dataclass
class Lodging:
    lodging_id: str
    name: str
    region_code: str
    encoding: str  # utf-8-sig | utf-8 | cp1252
    newline: str
    nationality_style: str  # icao | alpha2 | name_en | name_id
    mrz_rate: float
    next_seq: int = 1
    # Days since 2000-01-01 of the landing day: the report ids of each day are its own, so
    # two generated days never give one report id to two guests.
    day_serial: int = 0

    def new_report_id(self) -> str:
        report_id = f"{self.lodging_id}-{self.day_serial:05d}{self.next_seq:05d}"
        self.next_seq += 1
        return report_id


@dataclass
class GuestEvent:
    kind: str
    reported_at: datetime
    changes: dict[str, Any] = field(default_factory=dict)  # typed fields that differ on this event


@dataclass
class Stay:
    report_id: str
    lodging: Lodging
    person: pp.Person
    check_in: datetime
    check_out: datetime | None
    occupation: str
    purpose: str
    typed: dict[str, Any]
    events: list[GuestEvent]
    mrz: tuple[str, str] | None = None
    noise: list[str] = field(default_factory=list)
    # Raw text forced into every row of the stay: the data-quality faults a day carries.
    raw_overrides: dict[str, str] = field(default_factory=dict)


@dataclass
class Scenario:
    day: date
    province: str
    lodgings: list[Lodging] = field(default_factory=list)
    visas: list[dict[str, Any]] = field(default_factory=list)
    permits: list[dict[str, Any]] = field(default_factory=list)
    stays: list[Stay] = field(default_factory=list)
    planted: list[dict[str, Any]] = field(default_factory=list)
    negatives: list[dict[str, Any]] = field(default_factory=list)
    quarantine_cases: list[dict[str, Any]] = field(default_factory=list)
    identities: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Report ids of stays continued from the day before (their check-out lands today).
    carried: list[str] = field(default_factory=list)


class DayBuilder:
    """Builds a :class:`Scenario` deterministically from a seed."""

    def __init__(
        self,
        day: date,
        province: str,
        regencies: list[str],
        seed: int,
        stays: int,
        carried: list[Stay] | None = None,
    ) -> None:
        self.day = day
        # Guests of earlier days still checked in: some check out in this day's window.
        self.carried = list(carried or [])
        self.province = province
        self.regencies = regencies
        self.rng = random.Random(seed)
        self.target_stays = stays
        self.scenario = Scenario(day=day, province=province)
        self._person_seq = 0
        self._permit_seq = 0
        self._visa_seq = 0
        self._used_passports: set[str] = set()
        self._document_numbers: set[str] = set()
        self.export_start = datetime.combine(day - timedelta(days=1), time(12, 0))
        self.export_end = datetime.combine(day, time(12, 0))
        self._make_lodgings()

    # --- building blocks --------------------------------------------------------------------

    def _make_lodgings(self) -> None:
        table = regions()
        per_regency = max(2, min(40, self.target_stays // (60 * len(self.regencies)) + 2))
        for region_code in self.regencies:
            region = table[region_code]
            names = list(LODGING_NAMES.get(region_code, []))
            short = region.name.replace("Kabupaten ", "").replace("Kota ", "")
            for number in range(1, per_regency + 1):
                name = names[number - 1] if number <= len(names) else f"Hotel {short} {number:02d}"
                # Round-robin, so every encoding variant of FEEDS.md appears in every day.
                encoding = ("cp1252", "utf-8-sig", "utf-8")[len(self.scenario.lodgings) % 3]
                self.scenario.lodgings.append(
                    Lodging(
                        lodging_id=f"LDG-{region_code.replace('.', '')}{number:02d}",
                        name=name,
                        region_code=region_code,
                        encoding=encoding,
                        newline="\r\n" if encoding == "cp1252" else "\n",
                        nationality_style=self.rng.choices(["icao", "alpha2", "name_en", "name_id"], [12, 2, 2, 1])[0],
                        mrz_rate=self.rng.choice([0.0, 0.3, 0.7]),
                        day_serial=(self.day - date(2000, 1, 1)).days,
                    )
                )

    def lodging(self, region_code: str | None = None, exclude_region: str | None = None) -> Lodging:
        pool = [
            lg
            for lg in self.scenario.lodgings
            if (region_code is None or lg.region_code == region_code)
            and (exclude_region is None or lg.region_code != exclude_region)
        ]
        return self.rng.choice(pool)

    def person(self, nationality: str | None = None) -> pp.Person:
        while True:
            self._person_seq += 1
            candidate = pp.make_person(f"P{self._person_seq:06d}", self.rng, self.day, nationality)
            key = candidate.passport_number.translate(str.maketrans("OI", "01"))
            if key not in self._used_passports:
                self._used_passports.add(key)
                return candidate

    def _office(self, region_code: str) -> str:
        offices = OFFICES_BY_PROVINCE.get(region_code.split(".")[0], ("KANIM-JKS",))
        if len(offices) == 1:
            return offices[0]
        return offices[0] if region_code in ("16.71", "16.07", "16.06", "16.02", "16.10", "16.74") else offices[1]

    def _address(self, region_code: str) -> str:
        streets = STREETS.get(region_code)
        if streets:
            return f"{self.rng.choice(streets)} No. {self.rng.randint(1, 220)}, {regions()[region_code].name}"
        return next(
            (addr for code, addr in OTHER_PROVINCE_ADDRESSES if code == region_code),
            f"Jl. Merdeka No. {self.rng.randint(1, 99)}, {regions()[region_code].name}",
        )

    def _stamp(self, moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + "+07:00"

    def document_names(self, person: pp.Person) -> tuple[str, str]:
        """Names as the e-Visa/permit systems hold them: mostly the MRZ form, sometimes with diacritics."""
        from timpora.documents.mrz import transliterate

        if self.rng.random() < 0.2:
            return person.surname, person.given_names
        return (transliterate(person.surname).replace("<", " "), transliterate(person.given_names).replace("<", " "))

    def add_visa(
        self,
        person: pp.Person,
        profile: Profile,
        issued: datetime,
        status: str = "ISSUED",
        version: int = 1,
        visa_number: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> str:
        if visa_number is None:
            self._visa_seq += 1
            visa_number = f"V{self.rng.randint(10**9, 10**10 - 1)}"
            while visa_number in self._document_numbers:  # numbers are unique, as the e-Visa system's are
                visa_number = f"V{self.rng.randint(10**9, 10**10 - 1)}"
            self._document_numbers.add(visa_number)
        surname, given = self.document_names(person)
        sponsor = None
        if profile.sponsor_type != "NONE":
            sponsor = {"name": self.rng.choice(SPONSORS[profile.sponsor_type]), "type": profile.sponsor_type}
        record = {
            "visa_number": visa_number,
            "record_version": version,
            "visa_index": profile.visa_index,
            "status": status,
            "passport_number": person.passport_number,
            "passport_country": person.document_code,
            "nationality": person.document_code,
            "surname": surname,
            "given_names": given,
            "date_of_birth": person.date_of_birth.isoformat(),
            "sex": person.sex,
            "purpose": profile.activity,
            "sponsor": sponsor,
            "issued_at": self._stamp(issued),
            "valid_until": (issued.date() + timedelta(days=90)).isoformat(),
            "max_stay_days": profile.permit_days[1] if profile.permit_type == "ITK" else 365,
        }
        record.update(fields or {})
        record["_person_id"] = person.person_id
        self.scenario.visas.append(record)
        return visa_number

    def add_permit(
        self,
        person: pp.Person,
        profile: Profile,
        valid_from: date,
        valid_until: date,
        region_code: str,
        visa_number: str | None,
        version: int = 1,
        status: str = "ACTIVE",
        permit_number: str | None = None,
        updated: datetime | None = None,
        fields: dict[str, Any] | None = None,
    ) -> str:
        if permit_number is None:
            self._permit_seq += 1
            permit_number = (
                f"{profile.permit_type}-{valid_from.strftime('%y%m')}-"
                f"{self.rng.randint(0, 99999):05d}{self._permit_seq % 100:02d}"
            )
            while permit_number in self._document_numbers:  # a large day would otherwise reuse one
                permit_number = (
                    f"{profile.permit_type}-{valid_from.strftime('%y%m')}-"
                    f"{self.rng.randint(0, 99999):05d}{self._permit_seq % 100:02d}"
                )
            self._document_numbers.add(permit_number)
        surname, given = self.document_names(person)
        sponsor_name = self.rng.choice(SPONSORS[profile.sponsor_type]) if profile.sponsor_type != "NONE" else ""
        updated = updated or datetime.combine(valid_from, time(self.rng.randint(8, 15), self.rng.randint(0, 59)))
        record = {
            "permit_number": permit_number,
            "record_version": version,
            "permit_type": profile.permit_type,
            "status": status,
            "visa_number": visa_number or "",
            "passport_number": person.passport_number,
            "nationality": person.document_code if self.rng.random() < 0.5 else person.nationality,
            "surname": surname,
            "given_names": given,
            "date_of_birth": person.date_of_birth.isoformat(),
            "sex": person.sex,
            "activity": profile.activity,
            "sponsor_name": sponsor_name,
            "sponsor_type": profile.sponsor_type,
            "region_code": region_code,
            "address": self._address(region_code),
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
            "office_code": self._office(region_code),
            "updated_at": self._stamp(updated),
        }
        record.update(fields or {})
        record["_person_id"] = person.person_id
        self.scenario.permits.append(record)
        return permit_number

    def documents_for(
        self,
        person: pp.Person,
        profile: Profile,
        arrival: date,
        home_region: str | None = None,
    ) -> dict[str, Any]:
        """Visa (if the profile has one) and a permit covering the arrival through past D."""
        visa_number = None
        if profile.visa_index:
            issued = datetime.combine(arrival - timedelta(days=self.rng.randint(5, 40)), time(10, 15))
            visa_number = self.add_visa(person, profile, issued)
        if profile.permit_type == "ITK":
            valid_from = arrival
            days = self.rng.randint(*profile.permit_days)
            valid_until = max(valid_from + timedelta(days=days - 1), self.day + timedelta(days=5))
            region = home_region or self.rng.choice(self.regencies)
        else:
            valid_from = self.day - timedelta(days=self.rng.randint(20, 300))
            valid_until = self.day + timedelta(days=self.rng.randint(30, 400))
            region = home_region or self.rng.choice(self.regencies)
        permit = self.add_permit(person, profile, valid_from, valid_until, region, visa_number)
        return {
            "visa_number": visa_number,
            "permit_number": permit,
            "region_code": region,
            "valid_from": valid_from,
            "valid_until": valid_until,
        }

    # --- stays ------------------------------------------------------------------------------------

    def typed_fields(self, person: pp.Person, lodging: Lodging, with_mrz: bool) -> dict[str, Any]:
        """The guest's identity as the desk types it (noise comes separately)."""
        from timpora.documents.mrz import transliterate

        if with_mrz:
            surname = transliterate(person.surname).replace("<", " ")
            given = transliterate(person.given_names).replace("<", " ")
        else:
            surname = pp.desk_case(person.surname, self.rng)
            given = pp.desk_case(person.given_names, self.rng)
        style = lodging.nationality_style
        nationality = {
            "icao": person.nationality,
            "alpha2": ALPHA2.get(person.nationality, person.nationality),
            "name_en": COUNTRY_NAMES_EN.get(person.nationality, person.nationality),
            "name_id": COUNTRY_NAMES_ID.get(person.nationality, person.nationality),
        }[style]
        return {
            "guest_surname": surname,
            "guest_given_names": given,
            "sex": {"M": "L", "F": "P"}[person.sex],
            "date_of_birth": person.date_of_birth,
            "nationality": nationality,
            "passport_number": person.passport_number,
            "passport_expiry": person.passport_expiry,
        }

    def stay(
        self,
        person: pp.Person,
        profile: Profile | None,
        check_in: datetime,
        check_out: datetime | None,
        lodging: Lodging | None = None,
        occupation: str | None = None,
        purpose: str | None = None,
        allow_noise: bool = True,
        with_mrz: bool | None = None,
        report_delay: timedelta | None = None,
    ) -> Stay:
        """A stay whose events fall in D's export window.

        A check-in inside the window is reported (``report_delay`` after it, half an hour
        to six hours by default); a check-out inside the window is reported shortly after.
        """
        lodging = lodging or self.lodging()
        if with_mrz is None:
            with_mrz = self.rng.random() < lodging.mrz_rate
        typed = self.typed_fields(person, lodging, with_mrz)
        mrz = None
        if with_mrz:
            from timpora.documents.mrz import build_td3

            mrz = build_td3(
                person.document_code,
                person.surname,
                person.given_names,
                person.passport_number,
                person.document_code,
                person.date_of_birth,
                person.sex,
                person.passport_expiry,
            )
        prof = profile or PROFILES["tourist"]
        stay = Stay(
            report_id=lodging.new_report_id(),
            lodging=lodging,
            person=person,
            check_in=check_in,
            check_out=check_out,
            occupation=occupation or self.rng.choice(prof.occupations),
            purpose=purpose or self.rng.choice(prof.purposes),
            typed=typed,
            events=[],
            mrz=mrz,
        )
        if allow_noise and not with_mrz:
            self.apply_noise(stay)
        if report_delay is None:
            # Desks report within hours; a check-in late in the window is reported before the export.
            room = int((self.export_end - check_in).total_seconds() // 60) - 1
            longest = max(5, min(240, room))
            report_delay = timedelta(minutes=self.rng.randint(min(20, longest), longest))
        delay = report_delay
        if self.export_start < check_in + delay <= self.export_end:
            stay.events.append(GuestEvent("CHECK_IN", check_in + delay))
        if check_out is not None and self.export_start < check_out <= self.export_end:
            stay.events.append(GuestEvent("CHECK_OUT", check_out + timedelta(minutes=self.rng.randint(5, 50))))
        if not stay.events:
            raise ValueError(f"stay {stay.report_id} has no event in the export window of {self.day}")
        self.scenario.stays.append(stay)
        self.scenario.identities[stay.report_id] = {"person_id": person.person_id, "noise": stay.noise}
        return stay

    def apply_noise(self, stay: Stay) -> None:
        """Typing noise at known rates; recorded per stay in the ground truth."""
        rng, typed, person = self.rng, stay.typed, stay.person
        variant = pp.transliteration_variant(person.given_names, rng)
        if variant and rng.random() < 0.5:
            typed["guest_given_names"] = pp.desk_case(variant, rng)
            stay.noise.append("transliteration")
        if person.nationality in ("CHN", "TWN", "KOR", "VNM") and rng.random() < 0.3:
            typed["guest_surname"], typed["guest_given_names"] = typed["guest_given_names"], typed["guest_surname"]
            stay.noise.append("order_swap")
        if pp.strip_diacritics(person.surname) != person.surname and rng.random() < 0.5:
            typed["guest_surname"] = pp.desk_case(pp.strip_diacritics(person.surname), rng)
            stay.noise.append("diacritics")
        if rng.random() < 0.08:
            slipped = pp.typo(typed["guest_surname"], rng)
            if slipped:
                typed["guest_surname"] = slipped
                stay.noise.append("typo")
        dob = person.date_of_birth
        if dob.day <= 12 and dob.day != dob.month and rng.random() < 0.05:
            typed["date_of_birth"] = date(dob.year, dob.day, dob.month)
            stay.noise.append("dob_swap")
        if rng.random() < 0.04:
            confused = pp.passport_confusion(person.passport_number, rng)
            if confused:
                typed["passport_number"] = confused
                stay.noise.append("passport_confusion")
        if rng.random() < 0.15:
            typed["passport_number"] = pp.passport_format_noise(typed["passport_number"], rng)
            stay.noise.append("passport_format")

    def window_check_in(self) -> datetime:
        """A check-in whose report falls in the export window."""
        start = self.export_start - timedelta(minutes=15)
        return start + timedelta(minutes=self.rng.randint(0, 19 * 60 + 45))

    def window_check_out(self) -> datetime:
        """Check-outs in the window: late ones the day before (12:10-14:30) or the morning of D."""
        if self.rng.random() < 0.2:
            return self.export_start + timedelta(minutes=self.rng.randint(10, 150))
        return datetime.combine(self.day, time(5, 30)) + timedelta(minutes=self.rng.randint(0, 380))

    def arrival_for(self, check_in: datetime) -> date:
        return check_in.date() - timedelta(days=self.rng.randint(0, 6))

    # --- the day ----------------------------------------------------------------------------------

    def clean_guest(self) -> Stay:
        """A guest in order: documents cover the stay, the desk reports on time."""
        profile = PROFILES[self.rng.choices(list(PROFILE_WEIGHTS), list(PROFILE_WEIGHTS.values()))[0]]
        nationality = None
        if profile.name == "visa_free":
            nationality = self.rng.choice(sorted(pp.ASEAN_VISA_FREE & {"MYS", "SGP", "PHL", "VNM", "THA"}))
        person = self.person(nationality)
        kind = self.rng.random()
        if kind < 0.55:  # checked in during the window, still there
            check_in, check_out = self.window_check_in(), None
        else:  # leaving during the window after one to nine nights
            check_out = self.window_check_out()
            check_in = datetime.combine(
                check_out.date() - timedelta(days=self.rng.randint(1, 9)),
                time(self.rng.randint(12, 22), self.rng.choice([0, 15, 30, 45])),
            )
        self.documents_for(person, profile, self.arrival_for(check_in))
        return self.stay(person, profile, check_in, check_out)

    def check_out_carried(self) -> None:
        """About half the guests still checked in from the day before leave in this day's
        window: the same report id, person and lodging, a CHECK_OUT event only, typed as the
        desk first typed it. Their documents landed the day before."""
        lodgings = {lodging.lodging_id: lodging for lodging in self.scenario.lodgings}
        for earlier in self.carried:
            lodging = lodgings.get(earlier.lodging.lodging_id)
            check_out = self.window_check_out()
            if lodging is None or self.rng.random() < 0.5 or check_out <= earlier.check_in + timedelta(hours=12):
                continue
            stay = Stay(
                report_id=earlier.report_id,
                lodging=lodging,
                person=earlier.person,
                check_in=earlier.check_in,
                check_out=check_out,
                occupation=earlier.occupation,
                purpose=earlier.purpose,
                typed=dict(earlier.typed),
                events=[GuestEvent("CHECK_OUT", check_out + timedelta(minutes=self.rng.randint(5, 50)))],
                mrz=earlier.mrz,
                noise=list(earlier.noise),
            )
            self.scenario.stays.append(stay)
            self.scenario.identities[stay.report_id] = {"person_id": stay.person.person_id, "noise": stay.noise}
            self.scenario.carried.append(stay.report_id)

    def open_stays(self) -> list[Stay]:
        """Clean guests still checked in at the end of the day, for the next day to continue."""
        special = self._special_reports()
        return [stay for stay in self.scenario.stays if stay.check_out is None and stay.report_id not in special]

    def windows_1252_guest(self) -> None:
        """A guest whose name carries letters Windows-1252 encodes differently from UTF-8
        (Müller, Jörg), typed as on the passport at a lodging whose system writes 1252."""
        lodging = next(lg for lg in self.scenario.lodgings if lg.encoding == "cp1252")
        person = self.person("DEU")
        while pp.strip_diacritics(person.surname + person.given_names) == person.surname + person.given_names:
            person = self.person("DEU")
        profile = PROFILES["business"]
        check_in = self.window_check_in()
        self.documents_for(person, profile, check_in.date() - timedelta(days=1))
        stay = self.stay(person, profile, check_in, None, lodging=lodging, allow_noise=False, with_mrz=False)
        stay.typed["guest_surname"] = person.surname.title()
        stay.typed["guest_given_names"] = person.given_names.title()

    def corrections_and_cancels(self) -> None:
        """Harmless corrections of clean stays (a room change), as lodgings send them."""
        special = self._special_reports()
        clean = [s for s in self.scenario.stays if s.report_id not in special]
        for stay in self.rng.sample(clean, k=min(len(clean), max(1, len(clean) // 25))):
            last = max(event.reported_at for event in stay.events)
            if last + timedelta(minutes=30) <= self.export_end:
                stay.events.append(
                    GuestEvent(
                        "CORRECTION",
                        last + timedelta(minutes=self.rng.randint(5, 30)),
                        {"room": str(self.rng.randint(101, 520))},
                    )
                )

    def _special_reports(self) -> set[str]:
        found = set()
        for case in self.scenario.planted + self.scenario.negatives + self.scenario.quarantine_cases:
            found.update(case["report_ids"])
        return found

    def record(self, case_id: str, rule: str, stays: list[Stay], description: str, **documents: Any) -> None:
        person = stays[0].person
        self.scenario.planted.append(
            {
                "case_id": case_id,
                "rule_code": rule,
                "passport_number": person.passport_number,
                "nationality": person.nationality,
                "person_id": person.person_id,
                "report_ids": sorted(s.report_id for s in stays),
                "description": description,
                **{k: v for k, v in documents.items() if v is not None},
            }
        )

    def negative(self, case_id: str, kind: str, stays: list[Stay], description: str) -> None:
        self.scenario.negatives.append(
            {
                "case_id": case_id,
                "kind": kind,
                "passport_number": stays[0].person.passport_number,
                "report_ids": sorted(s.report_id for s in stays),
                "description": description,
            }
        )

    def fault(self, case_id: str, stay: Stay, column: str, raw: str, description: str) -> None:
        """A row the contract forbids: it must be quarantined with a reason naming ``column``."""
        stay.raw_overrides[column] = raw
        self.scenario.quarantine_cases.append(
            {
                "case_id": case_id,
                "report_ids": [stay.report_id],
                "lodging_id": stay.lodging.lodging_id,
                "column": column,
                "value": raw,
                "description": description,
            }
        )
