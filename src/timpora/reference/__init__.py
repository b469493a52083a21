"""Reference data the platform ships: region codes with time zones, country codes.

The region list is the Kemendagri code list (see ``REGIONS_SOURCE.md`` for its source
and licence). Country codes come from pycountry (ISO 3166-1) plus the ICAO 9303
specials that passports carry (``D`` for Germany, ``XXA`` for stateless, ...), and
the English and Indonesian country names that legacy lodging systems still send.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from timpora.resources import package_data

__all__ = [
    "ICAO_SPECIAL_CODES",
    "Region",
    "country_lookup",
    "nationality_codes",
    "province_of",
    "regency_codes",
    "regions",
]


@dataclass(frozen=True)
class Region:
    """One Kemendagri region: a province (``PP``) or a regency/city (``PP.KK``)."""

    code: str
    name: str
    level: str  # province | regency | city
    timezone: str  # IANA zone of the province

    @property
    def province_code(self) -> str:
        return self.code.split(".", 1)[0]


@lru_cache(maxsize=1)
def regions() -> dict[str, Region]:
    """All 552 regions by code."""
    path = package_data("reference", "regions_kepmendagri_2025.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: Region(row["code"], row["name"], row["level"], row["timezone"])
            for row in csv.DictReader(handle)
        }


@lru_cache(maxsize=1)
def regency_codes() -> frozenset[str]:
    """The 514 ``PP.KK`` regency and city codes."""
    return frozenset(code for code, region in regions().items() if region.level != "province")


def province_of(code: str) -> str:
    """``16.71`` -> ``16``."""
    return code.split(".", 1)[0]


# ICAO Doc 9303 part 3 codes that are not ISO 3166-1 alpha-3. ``D`` is Germany and is
# folded into ``DEU``; the rest are nationalities of their own and stay as they are.
ICAO_SPECIAL_CODES: dict[str, str] = {
    "D": "DEU",
    "GBD": "GBD",  # British Overseas Territories Citizen
    "GBN": "GBN",  # British National (Overseas)
    "GBO": "GBO",  # British Overseas Citizen
    "GBP": "GBP",  # British Protected Person
    "GBS": "GBS",  # British Subject
    "RKS": "RKS",  # Kosovo
    "EUE": "EUE",  # European Union laissez-passer
    "UNO": "UNO",  # United Nations Organization official
    "UNA": "UNA",  # United Nations specialized agency official
    "UNK": "UNK",  # Resident of Kosovo under UNMIK
    "XBA": "XBA",  # African Development Bank
    "XIM": "XIM",  # African Export-Import Bank
    "XCC": "XCC",  # Caribbean Community
    "XCO": "XCO",  # Common Market for Eastern and Southern Africa
    "XEC": "XEC",  # Economic Community of West African States
    "XPO": "XPO",  # Interpol
    "XES": "XES",  # Organization of Eastern Caribbean States
    "XMP": "XMP",  # Parliamentary Assembly of the Council of Europe
    "XOM": "XOM",  # Sovereign Military Order of Malta
    "XDC": "XDC",  # Southern African Development Community
    "XXA": "XXA",  # stateless person
    "XXB": "XXB",  # refugee (1951 convention)
    "XXC": "XXC",  # refugee (other)
    "XXX": "XXX",  # unspecified nationality
}

# Names that pycountry does not carry: everyday English names and the Indonesian names
# lodging desks type (``Jerman``, ``Tiongkok``). Keys are compared after fold_key().
_EXTRA_NAMES: dict[str, str] = {
    # English everyday names
    "SOUTH KOREA": "KOR",
    "KOREA": "KOR",
    "REPUBLIC OF KOREA": "KOR",
    "NORTH KOREA": "PRK",
    "RUSSIA": "RUS",
    "VIETNAM": "VNM",
    "IRAN": "IRN",
    "UK": "GBR",
    "GREAT BRITAIN": "GBR",
    "BRITAIN": "GBR",
    "ENGLAND": "GBR",
    "SCOTLAND": "GBR",
    "WALES": "GBR",
    "USA": "USA",
    "AMERICA": "USA",
    "UNITED STATES OF AMERICA": "USA",
    "US": "USA",
    "TAIWAN": "TWN",
    "TURKEY": "TUR",
    "CZECH REPUBLIC": "CZE",
    "HOLLAND": "NLD",
    "THE NETHERLANDS": "NLD",
    "LAOS": "LAO",
    "SYRIA": "SYR",
    "BOLIVIA": "BOL",
    "VENEZUELA": "VEN",
    "TANZANIA": "TZA",
    "MOLDOVA": "MDA",
    "BRUNEI": "BRN",
    "MACAU": "MAC",
    "MACAO": "MAC",
    "PRC": "CHN",
    "PEOPLES REPUBLIC OF CHINA": "CHN",
    "UAE": "ARE",
    "EAST TIMOR": "TLS",
    "BURMA": "MMR",
    "IVORY COAST": "CIV",
    "CAPE VERDE": "CPV",
    "SWAZILAND": "SWZ",
    "VATICAN": "VAT",
    "PALESTINE": "PSE",
    "MICRONESIA": "FSM",
    "KOSOVO": "RKS",
    "STATELESS": "XXA",
    "GERMAN": "DEU",
    "AUSTRALIAN": "AUS",
    "BRITISH": "GBR",
    "AMERICAN": "USA",
    "CHINESE": "CHN",
    "JAPANESE": "JPN",
    "KOREAN": "KOR",
    "DUTCH": "NLD",
    "FRENCH": "FRA",
    "INDIAN": "IND",
    "MALAYSIAN": "MYS",
    "SINGAPOREAN": "SGP",
    "RUSSIAN": "RUS",
    # Indonesian names
    "AFGANISTAN": "AFG",
    "AFRIKA SELATAN": "ZAF",
    "ALJAZAIR": "DZA",
    "AMERIKA SERIKAT": "USA",
    "AMERIKA": "USA",
    "AS": "USA",
    "ARAB SAUDI": "SAU",
    "SAUDI ARABIA": "SAU",
    "BELANDA": "NLD",
    "BELGIA": "BEL",
    "BRASIL": "BRA",
    "BRUNEI DARUSSALAM": "BRN",
    "CEKO": "CZE",
    "REPUBLIK CEKO": "CZE",
    "CHILI": "CHL",
    "DENMARK": "DNK",
    "DENMARKA": "DNK",
    "FILIPINA": "PHL",
    "FINLANDIA": "FIN",
    "HONGARIA": "HUN",
    "INGGRIS": "GBR",
    "BRITANIA RAYA": "GBR",
    "IRAK": "IRQ",
    "IRLANDIA": "IRL",
    "ISLANDIA": "ISL",
    "ITALIA": "ITA",
    "JEPANG": "JPN",
    "JERMAN": "DEU",
    "KAMBOJA": "KHM",
    "KANADA": "CAN",
    "KOLOMBIA": "COL",
    "KOREA SELATAN": "KOR",
    "KOREA UTARA": "PRK",
    "LIBANON": "LBN",
    "MAROKO": "MAR",
    "MEKSIKO": "MEX",
    "MESIR": "EGY",
    "NORWEGIA": "NOR",
    "PERANCIS": "FRA",
    "PRANCIS": "FRA",
    "POLANDIA": "POL",
    "RUMANIA": "ROU",
    "RUSIA": "RUS",
    "SELANDIA BARU": "NZL",
    "SINGAPURA": "SGP",
    "SPANYOL": "ESP",
    "SWEDIA": "SWE",
    "SWISS": "CHE",
    "SURIAH": "SYR",
    "TIMOR LESTE": "TLS",
    "TIONGKOK": "CHN",
    "CINA": "CHN",
    "CHINA": "CHN",
    "RRT": "CHN",
    "TURKI": "TUR",
    "UKRAINA": "UKR",
    "UNI EMIRAT ARAB": "ARE",
    "UEA": "ARE",
    "YAMAN": "YEM",
    "YORDANIA": "JOR",
    "YUNANI": "GRC",
    "AUSTRIA": "AUT",
    "SKOTLANDIA": "GBR",
    "PORTUGIS": "PRT",
    "KROASIA": "HRV",
    "SERBIA": "SRB",
    "KENYA": "KEN",
    "ETIOPIA": "ETH",
    "HONGKONG": "HKG",
    "TAIWAN ROC": "TWN",
}


def fold_key(value: str) -> str:
    """Upper case, no diacritics, no punctuation, single spaces: ``Türkiye`` -> ``TURKIYE``."""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = "".join(ch if ch.isalnum() else " " for ch in ascii_only.upper())
    return " ".join(cleaned.split())


@lru_cache(maxsize=1)
def country_lookup() -> dict[str, str]:
    """Every accepted spelling of a nationality (folded) -> its canonical code."""
    lookup: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_3
        names = [country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)]
        for name in names:
            if name:
                lookup.setdefault(fold_key(name), code)
                # "Korea, Republic of" is also typed "Republic of Korea".
                if ", " in name:
                    head, tail = name.split(", ", 1)
                    lookup.setdefault(fold_key(f"{tail} {head}"), code)
        lookup[country.alpha_2] = code
        lookup[code] = code
    for key, code in _EXTRA_NAMES.items():
        lookup[fold_key(key)] = code
    for key, code in ICAO_SPECIAL_CODES.items():
        lookup[key] = code
    return lookup


@lru_cache(maxsize=1)
def nationality_codes() -> frozenset[str]:
    """Canonical nationality codes: ISO 3166-1 alpha-3 plus ICAO specials (``D`` folded)."""
    iso = {country.alpha_3 for country in pycountry.countries}
    return frozenset(iso | set(ICAO_SPECIAL_CODES.values()))


@lru_cache(maxsize=1)
def icao_document_codes() -> frozenset[str]:
    """Codes as they may appear in a document or visa record (``D`` included)."""
    return frozenset(nationality_codes() | set(ICAO_SPECIAL_CODES))
