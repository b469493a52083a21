"""ICAO Doc 9303 machine-readable zone of passports (TD3: two lines of 44 characters).

Check digits use weights 7-3-1 over the character values (digits as themselves, A-Z as
10-35, the filler ``<`` as 0), modulo 10. Used both to verify what lodging desks scan
(``DOCUMENT_INVALID``) and to generate realistic demo passports.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

TD3_LENGTH = 44
_WEIGHTS = (7, 3, 1)

# ICAO 9303 part 3 transliteration of Latin letters with diacritics (the common ones).
_TRANSLITERATION = {
    "Ä": "AE",
    "Ö": "OE",
    "Ü": "UE",
    "ß": "SS",
    "ẞ": "SS",
    "Å": "AA",
    "Æ": "AE",
    "Ø": "OE",
    "Œ": "OE",
    "Þ": "TH",
    "Ð": "D",
    "Ĳ": "IJ",
    "Ł": "L",
    "Đ": "D",
    "Ħ": "H",
    "Ŋ": "N",
    "Ŧ": "T",
}


def char_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise ValueError(f"{char!r} is not an MRZ character")


def check_digit(field: str) -> str:
    """The 7-3-1 check digit of an MRZ field."""
    return str(sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def transliterate(name: str) -> str:
    """A name as the MRZ writes it: A-Z only, ``Müller`` -> ``MUELLER``, ``O'Neill`` -> ``ONEILL``."""
    upper = name.upper()
    out = []
    for char in upper:
        if char in _TRANSLITERATION:
            out.append(_TRANSLITERATION[char])
            continue
        # Upper-case after decomposing: compatibility letters (𝙖, ｂ) decompose to lower case.
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).upper()
        if base.isascii() and base.isalpha():
            out.append(base)
        elif char in " -":
            out.append("<")
        # apostrophes and other marks are dropped, as ICAO prescribes
    return "".join(out)


def _pad(value: str, length: int) -> str:
    return (value + "<" * length)[:length]


def _yymmdd(day: date) -> str:
    return day.strftime("%y%m%d")


def build_td3(
    issuing_state: str,
    surname: str,
    given_names: str,
    passport_number: str,
    nationality: str,
    date_of_birth: date,
    sex: str,
    expiry: date,
    personal_number: str = "",
) -> tuple[str, str]:
    """Both lines of a passport MRZ, check digits included."""
    names = transliterate(surname) + "<<" + transliterate(given_names).replace(" ", "<")
    line1 = _pad("P<" + _pad(issuing_state, 3) + names, TD3_LENGTH)
    number = _pad(passport_number, 9)
    personal = _pad(personal_number, 14)
    personal_check = check_digit(personal) if personal_number else "0"
    dob, exp = _yymmdd(date_of_birth), _yymmdd(expiry)
    sex_code = sex if sex in ("M", "F") else "<"
    body = (
        number
        + check_digit(number)
        + _pad(nationality, 3)
        + dob
        + check_digit(dob)
        + sex_code
        + exp
        + check_digit(exp)
        + personal
        + personal_check
    )
    composite = check_digit(body[0:10] + body[13:20] + body[21:43])
    return line1, body + composite


@dataclass(frozen=True)
class Td3Reading:
    """What a TD3 MRZ says, and which of its check digits fail."""

    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    passport_number: str
    nationality: str
    date_of_birth: str  # YYMMDD as printed
    sex: str
    expiry: str  # YYMMDD
    failed_checks: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.failed_checks


class MrzFormatError(ValueError):
    """The lines are not a TD3 MRZ at all."""


def read_td3(line1: str, line2: str) -> Td3Reading:
    """Parse a TD3 MRZ and verify its five check digits."""
    if len(line1) != TD3_LENGTH or len(line2) != TD3_LENGTH:
        raise MrzFormatError(f"TD3 lines must be {TD3_LENGTH} characters, got {len(line1)} and {len(line2)}")
    if any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<" for c in line1 + line2):
        raise MrzFormatError("MRZ lines may hold only A-Z, 0-9 and <")
    names = line1[5:].rstrip("<")
    surname, _, given = names.partition("<<")
    checks = {
        "passport_number": (line2[0:9], line2[9]),
        "date_of_birth": (line2[13:19], line2[19]),
        "expiry": (line2[21:27], line2[27]),
    }
    failed = [name for name, (field, digit) in checks.items() if check_digit(field) != digit]
    personal, personal_digit = line2[28:42], line2[42]
    if personal.strip("<"):
        if check_digit(personal) != personal_digit:
            failed.append("personal_number")
    elif personal_digit not in ("<", "0"):
        failed.append("personal_number")
    if check_digit(line2[0:10] + line2[13:20] + line2[21:43]) != line2[43]:
        failed.append("composite")
    return Td3Reading(
        document_code=line1[0:2].rstrip("<"),
        issuing_state=line1[2:5].rstrip("<"),
        surname=surname.replace("<", " ").strip(),
        given_names=given.replace("<", " ").strip(),
        passport_number=line2[0:9].rstrip("<"),
        nationality=line2[10:13].rstrip("<"),
        date_of_birth=line2[13:19],
        sex=line2[20],
        expiry=line2[21:27],
        failed_checks=tuple(failed),
    )
