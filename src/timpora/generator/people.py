"""Realistic foreign visitors: names in their usual romanisations, passports of typical shape.

Name pools follow each country's usual passport romanisation (pinyin for the PRC,
Wade-Giles for Taiwan, Revised Romanization for Korea, Hepburn for Japan, ICAO
transliteration of Cyrillic, the Arabic-name spellings seen on Gulf and Egyptian
passports, Latin names with their diacritics). Passport numbers follow each issuing
state's common pattern. The typing noise a lodging desk introduces is also modelled here,
so linking can be measured against a known truth.
"""

from __future__ import annotations

import random
import string
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

# Nationality (ISO alpha-3), the code printed on its documents (ICAO), and weight among
# foreign guests in Sumatera Selatan (mining, power plants, plantations, tourism, ASEAN).
NATIONALITIES: list[tuple[str, str, int]] = [
    ("CHN", "CHN", 22),
    ("MYS", "MYS", 10),
    ("SGP", "SGP", 6),
    ("AUS", "AUS", 6),
    ("JPN", "JPN", 6),
    ("KOR", "KOR", 6),
    ("IND", "IND", 6),
    ("USA", "USA", 4),
    ("GBR", "GBR", 4),
    ("DEU", "D", 4),
    ("NLD", "NLD", 4),
    ("FRA", "FRA", 3),
    ("RUS", "RUS", 3),
    ("SAU", "SAU", 3),
    ("EGY", "EGY", 2),
    ("PHL", "PHL", 3),
    ("VNM", "VNM", 3),
    ("TWN", "TWN", 2),
    ("THA", "THA", 2),
    ("ESP", "ESP", 1),
    ("TUR", "TUR", 2),
]

ASEAN_VISA_FREE = {"MYS", "SGP", "PHL", "VNM", "THA", "BRN", "KHM", "LAO", "MMR"}

# (surnames, male given names, female given names) as printed in the passport's visual zone.
_NAMES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "CHN": (
        ["WANG", "LI", "ZHANG", "LIU", "CHEN", "YANG", "HUANG", "ZHAO", "WU", "ZHOU", "XU", "SUN", "MA", "ZHU", "HU"],
        ["WEI", "LEI", "QIANG", "JUN", "JIE", "TAO", "MING", "CHAO", "HAO", "YONG", "JIANGUO", "ZHIWEI"],
        ["FANG", "NA", "XIUYING", "MIN", "JING", "YAN", "LI", "XIAOLING", "YUN", "HUI", "MEIHUA"],
    ),
    "TWN": (
        ["CHANG", "LIN", "HUANG", "CHEN", "WANG", "LEE", "WU", "TSAI", "HSU", "CHENG"],
        ["CHIA-HAO", "CHIH-MING", "CHUN-HUNG", "WEN-HSIUNG", "YU-CHENG"],
        ["YU-TING", "HSIN-YI", "SHU-FEN", "YA-WEN", "MEI-LING"],
    ),
    "KOR": (
        ["KIM", "LEE", "PARK", "CHOI", "JUNG", "KANG", "CHO", "YOON", "JANG", "LIM"],
        ["MINJUN", "JIHOON", "HYUNWOO", "SUNGHO", "DONGHYUN", "JAEWON"],
        ["SEOYEON", "JIYOUNG", "MINJI", "SOOJIN", "EUNJI", "HYEJIN"],
    ),
    "JPN": (
        ["SATO", "SUZUKI", "TAKAHASHI", "TANAKA", "WATANABE", "ITO", "YAMAMOTO", "NAKAMURA", "KOBAYASHI"],
        ["HIROSHI", "KENTARO", "SHOTA", "TAKESHI", "YUTA", "DAISUKE", "KENJI"],
        ["YUKI", "AYAKA", "HARUKA", "MISAKI", "NAOMI", "SAKURA", "YOKO"],
    ),
    "RUS": (
        ["IVANOV", "SMIRNOV", "KUZNETSOV", "POPOV", "SOKOLOV", "LEBEDEV", "KOZLOV", "NOVIKOV", "MOROZOV"],
        ["ALEKSANDR", "DMITRII", "SERGEI", "ANDREI", "ALEKSEI", "MIKHAIL", "IURII"],
        ["EKATERINA", "OLGA", "TATIANA", "IULIIA", "ANASTASIIA", "NATALIA", "ELENA"],
    ),
    "SAU": (
        ["ALGHAMDI", "ALHARBI", "ALQAHTANI", "ALOTAIBI", "ALSHEHRI", "ALZAHRANI", "ALMUTAIRI"],
        ["MUHAMMAD", "ABDULLAH", "KHALID", "FAHAD", "SAUD", "OMAR", "FAISAL"],
        ["FATIMAH", "NOURA", "AISHA", "SARA", "MAHA", "REEM"],
    ),
    "EGY": (
        ["HASSAN", "IBRAHIM", "MAHMOUD", "ABDELRAHMAN", "ELSAYED", "MOSTAFA", "FARAG"],
        ["MOHAMED", "AHMED", "MAHMOUD", "MOSTAFA", "KARIM", "TAREK", "YOUSSEF"],
        ["FATMA", "MARIAM", "NOUR", "HEBA", "DINA", "SALMA"],
    ),
    "IND": (
        ["SHARMA", "PATEL", "SINGH", "KUMAR", "GUPTA", "REDDY", "NAIR", "IYER", "DAS", "MEHTA"],
        ["RAHUL", "AMIT", "ANIL", "SURESH", "VIKRAM", "ARJUN", "RAJESH"],
        ["PRIYA", "SUNITA", "ANJALI", "DEEPA", "KAVITA", "LAKSHMI", "POOJA"],
    ),
    "DEU": (
        ["MÜLLER", "SCHMIDT", "SCHNEIDER", "FISCHER", "WEBER", "BECKER", "SCHÄFER", "KÖHLER", "GROẞ", "HOFFMANN"],
        ["JÖRG", "JÜRGEN", "LUKAS", "MAXIMILIAN", "STEFAN", "TOBIAS", "MATTHIAS"],
        ["ANNA", "KATHARINA", "JULIA", "SABINE", "BÄRBEL", "LENA", "MONIKA"],
    ),
    "FRA": (
        ["MARTIN", "BERNARD", "DUBOIS", "LEFÈVRE", "GIRARD", "MOREAU", "ROUSSEAU", "FRANÇOIS", "LAURENT"],
        ["JEAN-PIERRE", "FRANÇOIS", "THOMAS", "NICOLAS", "JÉRÔME", "ANTOINE", "LUC"],
        ["MARIE", "CÉLINE", "HÉLÈNE", "CAMILLE", "SOPHIE", "AMÉLIE", "CLAIRE"],
    ),
    "NLD": (
        ["DE JONG", "JANSEN", "DE VRIES", "VAN DEN BERG", "BAKKER", "VAN DIJK", "VISSER", "SMIT", "MEIJER"],
        ["DAAN", "JOOST", "PIETER", "BRAM", "SANDER", "WOUTER", "JEROEN"],
        ["SANNE", "FLEUR", "ANOUK", "LOTTE", "EVA", "INGE", "MAAIKE"],
    ),
    "GBR": (
        ["SMITH", "JONES", "WILLIAMS", "TAYLOR", "BROWN", "DAVIES", "O'BRIEN", "EVANS", "THOMAS", "WILSON"],
        ["JAMES", "OLIVER", "JACK", "HARRY", "GEORGE", "WILLIAM", "THOMAS"],
        ["OLIVIA", "CHARLOTTE", "EMILY", "SOPHIE", "AMELIA", "JESSICA", "SARAH JANE"],
    ),
    "AUS": (
        ["SMITH", "JONES", "WILLIAMS", "BROWN", "WILSON", "TAYLOR", "O'NEILL", "NGUYEN", "MARTIN", "KELLY"],
        ["JACK", "NOAH", "LIAM", "ETHAN", "LACHLAN", "COOPER", "MITCHELL"],
        ["CHARLOTTE", "OLIVIA", "MIA", "CHLOE", "SARAH JANE", "EMMA", "ISLA"],
    ),
    "USA": (
        ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ", "WASHINGTON"],
        ["MICHAEL", "DAVID", "JOHN", "ROBERT", "CHRISTOPHER", "DANIEL", "MATTHEW"],
        ["JENNIFER", "JESSICA", "ASHLEY", "EMILY", "SARAH", "AMANDA", "ELIZABETH"],
    ),
    "SGP": (
        ["TAN", "LIM", "NG", "WONG", "ONG", "KOH", "CHUA", "GOH", "TEO", "RAHMAN"],
        ["WEI MING", "JUN JIE", "KAI WEN", "ZHI HAO", "IRFAN"],
        ["HUI LING", "XIN YI", "SHU TING", "JIA HUI", "NURUL"],
    ),
    "PHL": (
        ["SANTOS", "REYES", "CRUZ", "BAUTISTA", "GARCIA", "MENDOZA", "DELA CRUZ", "RAMOS"],
        ["JOSE", "JUAN CARLOS", "MARK ANTHONY", "JOHN PAUL", "RAMON"],
        ["MARIA CRISTINA", "MA. THERESA", "JOCELYN", "ANGELICA", "KRISTINE"],
    ),
    "VNM": (
        ["NGUYEN", "TRAN", "LE", "PHAM", "HOANG", "HUYNH", "PHAN", "VU", "DANG"],
        ["VAN AN", "VAN HUNG", "DUC MINH", "QUANG HUY", "THANH TUNG"],
        ["THI HOA", "THI LAN", "NGOC ANH", "THU HUONG", "THI MAI"],
    ),
    "THA": (
        ["SUKSAWAT", "CHAIYAPORN", "SRISAI", "WONGSAWAT", "KAEWMANEE", "PHROMMA"],
        ["SOMCHAI", "SOMSAK", "ANUCHA", "PRASERT", "WICHAI"],
        ["SUPAPORN", "MALAI", "SIRIPORN", "WANIDA", "KANYA"],
    ),
    "ESP": (
        ["GARCÍA", "FERNÁNDEZ", "LÓPEZ", "MARTÍNEZ", "SÁNCHEZ", "PÉREZ", "GÓMEZ", "MUÑOZ"],
        ["JOSÉ", "ÁLVARO", "JAVIER", "DAVID", "ALEJANDRO", "SERGIO"],
        ["MARÍA", "LUCÍA", "CARMEN", "PAULA", "LAURA", "NURIA"],
    ),
    "TUR": (
        ["YILMAZ", "KAYA", "DEMİR", "ŞAHİN", "ÇELİK", "YILDIZ", "ÖZTÜRK", "AYDIN"],
        ["MEHMET", "MUSTAFA", "AHMET", "EMRE", "BURAK", "HÜSEYİN"],
        ["AYŞE", "FATMA", "EMİNE", "ZEYNEP", "ELİF", "ÖZLEM"],
    ),
}

# Spellings of the same given name across passports and desks (linking must tolerate them).
TRANSLITERATION_VARIANTS: dict[str, list[str]] = {
    "MUHAMMAD": ["MOHAMMED", "MOHAMAD", "MOHAMMAD", "MUHAMAD"],
    "MOHAMED": ["MOHAMMED", "MUHAMMAD", "MOHAMAD"],
    "AHMED": ["AHMAD", "AHMET"],
    "ABDULLAH": ["ABDALLAH", "ABDULAH"],
    "OMAR": ["UMAR"],
    "YOUSSEF": ["YOUSEF", "YUSUF"],
    "MOSTAFA": ["MUSTAFA", "MOUSTAFA"],
    "KHALID": ["KHALED"],
    "FATIMAH": ["FATIMA", "FATMAH"],
    "AISHA": ["AISYAH", "AYESHA"],
    "SERGEI": ["SERGEY"],
    "DMITRII": ["DMITRY", "DMITRIY"],
    "ALEKSANDR": ["ALEXANDER", "ALEKSANDER"],
    "IULIIA": ["YULIA", "JULIA"],
    "TATIANA": ["TATYANA"],
    "ANASTASIIA": ["ANASTASIA"],
    "IURII": ["YURI", "YURIY"],
    "ALEKSEI": ["ALEXEY", "ALEKSEY"],
}

# Malaysia's three naming traditions: a Malay patronymic, a Chinese surname, an Indian father's name.
_MALAYSIAN_GROUPS: list[tuple[list[str], list[str], list[str]]] = [
    (
        ["ISMAIL", "ABDULLAH", "OTHMAN", "HASSAN", "YUSOF"],
        ["AHMAD", "MOHD FAIZAL", "MUHAMMAD HAFIZ", "AZMAN", "KAMARUL"],
        ["NUR AISYAH", "SITI NORHAYATI", "FARAH", "NURUL IZZAH"],
    ),
    (["TAN", "LIM", "LEE", "WONG", "CHONG"], ["WEI MING", "CHEE KEONG", "KAH WAI"], ["MEI LING", "HUI YEE", "SU LIN"]),
    (["RAMASAMY", "KRISHNAN", "SUPPIAH", "MUNUSAMY"], ["KUMAR", "SURESH", "RAJ"], ["PRIYA", "KAVITHA", "DEVI"]),
]

_PLAIN_LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GERMAN_PASSPORT = "CFGHJKLMNPRTVWXYZ0123456789"


def passport_number(nationality: str, rng: random.Random) -> str:
    """A number in the usual shape of the issuing state's passports."""
    digits = string.digits

    def d(n: int) -> str:
        return "".join(rng.choice(digits) for _ in range(n))

    def letters(n: int, pool: str = _PLAIN_LATIN) -> str:
        return "".join(rng.choice(pool) for _ in range(n))

    shapes = {
        "AUS": lambda: rng.choice(["P", "N", "PA", "PB", "RA"]) + d(7),
        "USA": lambda: rng.choice([d(9), "A" + d(8)]),
        "GBR": lambda: d(9),
        "DEU": lambda: "C" + letters(8, _GERMAN_PASSPORT),
        "FRA": lambda: d(2) + letters(2) + d(5),
        "NLD": lambda: letters(2, "BCDFGHJKLMNPRSTVWXZ") + letters(6, "BCDFGHJKLMNPRSTVWXZ0123456789") + d(1),
        "CHN": lambda: rng.choice(["E" + d(8), "EA" + d(7), "EB" + d(7), "EJ" + d(7)]),
        "TWN": lambda: d(9),
        "JPN": lambda: rng.choice(["TR", "TK", "TZ", "MZ", "TH"]) + d(7),
        "KOR": lambda: rng.choice(["M" + d(8), "M" + d(3) + letters(1) + d(4)]),
        "IND": lambda: letters(1, "JKLMNPRSTUVWZ") + d(7),
        "RUS": lambda: rng.choice(["72", "75", "76"]) + d(7),
        "SAU": lambda: rng.choice(["A", "B", "K", "N"]) + d(8),
        "EGY": lambda: "A" + d(8),
        "MYS": lambda: rng.choice(["A", "H", "K"]) + d(8),
        "SGP": lambda: rng.choice(["E", "K"]) + d(7) + letters(1),
        "PHL": lambda: "P" + d(7) + letters(1),
        "VNM": lambda: rng.choice(["B", "C", "N"]) + d(7),
        "THA": lambda: letters(2) + d(7),
        "ESP": lambda: letters(3) + d(6),
        "TUR": lambda: "U" + d(8),
    }
    return shapes.get(nationality, lambda: letters(2) + d(7))()


@dataclass(frozen=True)
class Person:
    """A foreign visitor as their passport describes them."""

    person_id: str
    nationality: str  # ISO alpha-3
    document_code: str  # as printed on documents (``D`` for Germany)
    surname: str  # visual-zone spelling, diacritics kept
    given_names: str
    sex: str  # M | F
    date_of_birth: date
    passport_number: str
    passport_expiry: date
    extra: dict[str, str] = field(default_factory=dict)

    def with_changes(self, **changes: object) -> Person:
        return replace(self, **changes)  # type: ignore[arg-type]


def make_person(person_id: str, rng: random.Random, as_of: date, nationality: str | None = None) -> Person:
    """A plausible adult visitor."""
    if nationality is None:
        codes = [code for code, _, _ in NATIONALITIES]
        weights = [weight for _, _, weight in NATIONALITIES]
        nationality = rng.choices(codes, weights)[0]
    document_code = next((doc for code, doc, _ in NATIONALITIES if code == nationality), nationality)
    sex = rng.choice("MF")
    if nationality == "MYS":
        group = rng.randrange(len(_MALAYSIAN_GROUPS))
        surnames, male, female = _MALAYSIAN_GROUPS[group]
        surname = rng.choice(surnames)
        if group == 0:  # "BIN"/"BINTI" (son/daughter of) follows the bearer's sex
            surname = ("BIN " if sex == "M" else "BINTI ") + surname
        elif group == 2:
            surname = ("A/L " if sex == "M" else "A/P ") + surname
    else:
        surnames, male, female = _NAMES[nationality]
        surname = rng.choice(surnames)
    given = rng.choice(male if sex == "M" else female)
    age_days = rng.randint(20 * 365, 72 * 365)
    dob = as_of - timedelta(days=age_days)
    expiry = as_of + timedelta(days=rng.randint(200, 9 * 365))
    return Person(
        person_id, nationality, document_code, surname, given, sex, dob, passport_number(nationality, rng), expiry
    )


def given_names_for(nationality: str, sex: str) -> list[str]:
    """Given names of one sex in a nationality's pools."""
    groups = _MALAYSIAN_GROUPS if nationality == "MYS" else [_NAMES[nationality]]
    return [name for _, male, female in groups for name in (male if sex == "M" else female)]


def strip_diacritics(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


def fits_cp1252(value: str) -> bool:
    try:
        value.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def desk_case(value: str, rng: random.Random) -> str:
    """Lodging desks type names in any case."""
    style = rng.random()
    if style < 0.55:
        return value.upper()
    if style < 0.9:
        return " ".join(part[:1].upper() + part[1:].lower() for part in value.split(" "))
    return value.lower()


# --- noise a lodging desk introduces --------------------------------------------------------

NOISE_KINDS = (
    "transliteration",
    "order_swap",
    "diacritics",
    "typo",
    "dob_swap",
    "passport_confusion",
    "passport_format",
)


def transliteration_variant(given: str, rng: random.Random) -> str | None:
    parts = given.split(" ")
    for index, part in enumerate(parts):
        if part in TRANSLITERATION_VARIANTS:
            parts[index] = rng.choice(TRANSLITERATION_VARIANTS[part])
            return " ".join(parts)
    return None


def typo(value: str, rng: random.Random) -> str | None:
    """One keyboard slip: a swapped pair, a doubled or dropped letter, or a neighbour key."""
    letters_at = [i for i, c in enumerate(value) if c.isalpha()]
    if len(letters_at) < 5:
        return None
    i = rng.choice(letters_at[1:-1])
    kind = rng.choice(["swap", "double", "drop", "neighbour"])
    if kind == "swap" and value[i + 1].isalpha():
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    if kind == "double":
        return value[:i] + value[i] + value[i:]
    if kind == "drop":
        return value[:i] + value[i + 1 :]
    neighbours = {
        "A": "S",
        "S": "A",
        "E": "R",
        "R": "E",
        "I": "O",
        "O": "I",
        "N": "M",
        "M": "N",
        "U": "Y",
        "Y": "U",
        "T": "R",
        "L": "K",
        "K": "L",
        "H": "G",
        "G": "H",
        "D": "F",
        "F": "D",
    }
    upper = value[i].upper()
    if upper in neighbours:
        replacement = neighbours[upper] if value[i].isupper() else neighbours[upper].lower()
        return value[:i] + replacement + value[i + 1 :]
    return value[:i] + value[i + 1] + value[i] + value[i + 2 :] if value[i + 1].isalpha() else None


def passport_confusion(number: str, rng: random.Random) -> str | None:
    """Typed O for 0 or I for 1 (or the reverse): the confusions passport scanners and desks make."""
    swaps = {"0": "O", "O": "0", "1": "I", "I": "1"}
    spots = [i for i, c in enumerate(number) if c in swaps]
    if not spots:
        return None
    i = rng.choice(spots)
    return number[:i] + swaps[number[i]] + number[i + 1 :]


def passport_format_noise(number: str, rng: random.Random) -> str:
    """Lower case, spaces or hyphens, as hand-typed numbers come."""
    style = rng.choice(["lower", "space", "hyphen", "lower_space"])
    cut = rng.randint(2, max(2, len(number) - 3))
    if style == "lower":
        return number.lower()
    if style == "space":
        return number[:cut] + " " + number[cut:]
    if style == "hyphen":
        return number[:cut] + "-" + number[cut:]
    return (number[:cut] + " " + number[cut:]).lower()
