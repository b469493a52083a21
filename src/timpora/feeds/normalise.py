"""Vectorised normalisers for the values the feeds carry.

Each function takes and returns pandas Series, so a million-row chunk is normalised in
C-speed string and datetime operations, never a Python loop per row. A value that cannot
be normalised becomes missing (``<NA>``/``NaT``); validation then quarantines the row and
quotes the raw value, which the parsers keep beside the normalised one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from timpora.reference import country_lookup, fold_key

# Arrow-backed text: pandas runs string operations (strip, replace, upper, regex) in C on
# it, where the Python-backed "string" dtype calls Python once per value.
TEXT = pd.StringDtype("pyarrow")

# Letters that hand-typed and OCR'd passport numbers confuse with digits.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1"})
# Patterns use explicit classes, not \s or \d: pandas then runs them in pyarrow (RE2)
# instead of calling Python's re once per value. Literal characters only: a \u escape
# would send them back to Python too. The blank class covers the space, tab and the
# no-break space spreadsheets leave behind.
_WHITESPACE = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())  # the characters \s matches
_BLANKS = "[" + _WHITESPACE + "]"
_PASSPORT_NOISE = "[" + _WHITESPACE + "./_-]"
_OFFSET_SUFFIX = r"(?:Z|[+-][0-9]{2}:?[0-9]{2})$"

HOTEL_SEX_CODES = {
    "L": "M",
    "P": "F",
    "X": "X",
    "LAKI-LAKI": "M",
    "LAKI LAKI": "M",
    "PEREMPUAN": "F",
    "WANITA": "F",
    "PRIA": "M",
}


def clean_text(values: pd.Series) -> pd.Series:
    """Trim stray spaces and collapse inner runs of whitespace; empty becomes missing."""
    text = values.astype(TEXT).str.strip().str.replace(_BLANKS + "+", " ", regex=True)
    return text.mask(text == "")


def normalise_passport(values: pd.Series) -> pd.Series:
    """``pa 123-4567`` -> ``PA1234567``: upper case, no spaces, hyphens, dots or slashes."""
    text = values.astype(TEXT).str.upper().str.replace(_PASSPORT_NOISE, "", regex=True)
    return text.mask(text == "")


def passport_key(values: pd.Series) -> pd.Series:
    """Linking key of a passport number: normalised, with O/0 and I/1 folded together.

    Two records whose numbers differ only by those confusions share a key, so they meet
    as candidates; identity is then confirmed on name, date of birth and sex.
    """
    return normalise_passport(values).str.translate(_CONFUSABLE)


def normalise_nationality(values: pd.Series) -> pd.Series:
    """ICAO/ISO three- or two-letter code or an English/Indonesian name -> canonical code.

    The lookup runs once per distinct value, so a million rows with forty nationalities
    cost forty dictionary look-ups.
    """
    text = values.astype(TEXT)
    lookup = country_lookup()
    distinct = text.dropna().unique()
    mapping = {value: lookup.get(fold_key(value)) for value in distinct}
    return text.map(mapping, na_action="ignore").astype(TEXT)


def normalise_upper_name(values: pd.Series) -> pd.Series:
    """Names as stored: trimmed, single-spaced, upper case (diacritics kept)."""
    return clean_text(values).str.upper()


def hotel_sex(values: pd.Series) -> pd.Series:
    """Lodging sex codes ``L``/``P``/``X`` (and the words) -> ``M``/``F``/``X``."""
    text = clean_text(values).str.upper()
    return text.map(HOTEL_SEX_CODES, na_action="ignore").astype(TEXT)


def parse_date(values: pd.Series, fmt: str) -> pd.Series:
    """Parse dates of one strict format; anything else becomes ``NaT``."""
    text = clean_text(values)
    return pd.to_datetime(text, format=fmt, errors="coerce")


def parse_offset_datetime(values: pd.Series) -> pd.Series:
    """ISO 8601 timestamps that carry an offset -> UTC; a missing offset is an error (``NaT``).

    A naive timestamp would silently be read as UTC, seven to nine hours off for
    Indonesian systems, so it is refused rather than guessed.
    """
    text = clean_text(values)
    has_offset = text.str.contains(_OFFSET_SUFFIX, regex=True).fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(has_offset), format="ISO8601", utc=True, errors="coerce")
    return parsed


def local_to_utc(local: pd.Series, timezones: pd.Series) -> pd.Series:
    """Naive local timestamps -> UTC, each by its own IANA zone (WIB, WITA or WIT).

    Rows are grouped by zone (three at most), so the conversion stays vectorised.
    """
    result = pd.Series(pd.NaT, index=local.index, dtype="datetime64[us, UTC]")
    for zone in timezones.dropna().unique():
        selected = (timezones == zone).fillna(False).to_numpy(dtype=bool) & local.notna().to_numpy()
        if selected.any():
            converted = local[selected].dt.tz_localize(str(zone)).dt.tz_convert("UTC")
            result.loc[selected] = converted.astype("datetime64[us, UTC]")
    return result


def parse_int(values: pd.Series) -> pd.Series:
    """Whole numbers written as text or numbers; anything else (``1.5``, ``abc``) -> missing."""
    text = clean_text(values.astype(TEXT))
    is_int = text.str.fullmatch(r"[+-]?[0-9]{1,9}").fillna(False).astype(bool)
    return pd.to_numeric(text.where(is_int), errors="coerce").astype("Int64")


def to_utc_naive(values: pd.Series) -> pd.Series:
    """UTC-aware timestamps -> naive UTC, the form both warehouses store."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def row_hash(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """A 128-bit content hash per row (two independent 64-bit hashes), as hex.

    Exact duplicates are rows with the same normalised content, so the hash runs over
    normalised columns: a re-delivery that differs only in whitespace or encoding is
    still recognised as the same row. Text columns are joined into one by pyarrow and
    times enter as whole seconds (a fixed unit, so a pandas upgrade that changes the
    default resolution does not change hashes); hashing is then a few column passes.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = []
    parts: dict[str, pd.Series] = {}
    for name in columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            seconds = values.astype("datetime64[s]").astype("int64")
            parts[name] = seconds.where(values.notna(), np.iinfo(np.int64).min)
        else:
            texts.append(pa.array(values.astype(TEXT).array, type=pa.large_string()))
    separator = pa.scalar("\x1f", type=pa.large_string())
    joined = pc.binary_join_element_wise(*texts, separator, null_handling="replace", null_replacement="\x00")
    parts["text"] = pd.Series(pd.arrays.ArrowStringArray(joined), index=frame.index)
    table = pd.DataFrame(parts, index=frame.index)
    first = pd.util.hash_pandas_object(table, index=False, hash_key="timpora-row-hash")
    second = pd.util.hash_pandas_object(table, index=False, hash_key="row-hash-second!")
    first_hex = np.char.mod("%016x", first.to_numpy(dtype=np.uint64))
    second_hex = np.char.mod("%016x", second.to_numpy(dtype=np.uint64))
    return pd.Series(np.char.add(first_hex, second_hex), index=frame.index, dtype=TEXT)
