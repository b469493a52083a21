"""ICAO 9303 TD3 checks over a whole batch of scanned MRZs, with numpy.

The scalar reader (:func:`timpora.documents.mrz.read_td3`) is the reference; this module
computes the same five check digits for thousands of passports at once by turning the
second lines into an (n, 44) matrix of character values and multiplying by the 7-3-1
weights, then compares what the MRZ says with what the desk typed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from timpora.feeds.normalise import TEXT

TD3 = 44
_ALLOWED = r"^[A-Z0-9<]{44}$"
# (name, first position, end position, check digit position) of line 2.
CHECKED_FIELDS = (
    ("passport_number", 0, 9, 9),
    ("date_of_birth", 13, 19, 19),
    ("expiry", 21, 27, 27),
    ("personal_number", 28, 42, 42),
)
_COMPOSITE_POSITIONS = np.r_[0:10, 13:20, 21:43]
_WEIGHTS = np.array([7, 3, 1])


def _values(lines: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(n, 44) character codes and 7-3-1 values (digits, A-Z as 10-35, ``<`` as 0)."""
    codes = np.frombuffer("".join(lines.tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, TD3).astype(np.int16)
    is_digit = (codes >= ord("0")) & (codes <= ord("9"))
    values = np.where(codes >= ord("A"), codes - 55, np.where(is_digit, codes - ord("0"), 0))
    return codes, values


def _check(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The check digit's character code for the given positions of each row."""
    weights = np.resize(_WEIGHTS, len(positions))
    return (values[:, positions] * weights).sum(axis=1) % 10 + 48


def check_digits(line2: pd.Series) -> pd.DataFrame:
    """Per well-formed second line: True where each check digit holds."""
    if line2.empty:
        return pd.DataFrame(index=line2.index, columns=[f[0] for f in CHECKED_FIELDS] + ["composite"], dtype=bool)
    codes, values = _values(line2)
    result = {}
    for name, start, end, digit in CHECKED_FIELDS:
        result[name] = _check(values, np.arange(start, end)) == codes[:, digit]
    personal_blank = (codes[:, 28:42] == ord("<")).all(axis=1)
    blank_digit_ok = np.isin(codes[:, 42], [ord("<"), ord("0")])
    result["personal_number"] = np.where(personal_blank, blank_digit_ok, result["personal_number"])
    result["composite"] = _check(values, _COMPOSITE_POSITIONS) == codes[:, 43]
    return pd.DataFrame(result, index=line2.index)


def read_fields(line1: pd.Series, line2: pd.Series) -> pd.DataFrame:
    """What well-formed MRZ lines say, column-wise (names as words, codes without fillers)."""
    names = line1.str.slice(5).str.rstrip("<").str.split("<<", n=1, expand=True).reindex(columns=[0, 1])
    return pd.DataFrame(
        {
            "surname": names[0].fillna("").str.replace("<", " ").str.strip(),
            "given_names": names[1].fillna("").str.replace("<", " ").str.strip(),
            "passport_number": line2.str.slice(0, 9).str.rstrip("<"),
            "nationality": line2.str.slice(10, 13).str.rstrip("<"),
            "date_of_birth": line2.str.slice(13, 19),
            "sex": line2.str.slice(20, 21).replace("<", "X"),
            "expiry": line2.str.slice(21, 27),
        },
        index=line1.index,
    ).astype(TEXT)


def expiry_date(yymmdd: pd.Series) -> pd.Series:
    """MRZ expiry YYMMDD as a date; passports expire within this century's first half."""
    parsed = pd.to_datetime("20" + yymmdd.astype(TEXT), format="%Y%m%d", errors="coerce")
    return parsed
