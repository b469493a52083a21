"""Vectorised text helpers for reasons reviewers read (Bahasa Indonesia and English)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from timpora.feeds.normalise import TEXT

_MONTHS_ID = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# Month abbreviations by language, for every text a reviewer reads (reasons, pages).
MONTHS = {"id": _MONTHS_ID, "en": _MONTHS_EN}


def as_datetime(values: pd.Series) -> pd.Series:
    """Dates/timestamps as read from either warehouse (strings on SQLite) -> datetime64."""
    return pd.to_datetime(values, errors="coerce")


def day_text(values: pd.Series, language: str) -> pd.Series:
    """``3 Okt 2024`` / ``3 Oct 2024``: unambiguous in both languages."""
    stamps = as_datetime(values)
    months = pd.Series(_MONTHS_ID if language == "id" else _MONTHS_EN, index=range(1, 13))
    text = (
        stamps.dt.day.astype("Int64").astype(TEXT)
        + " "
        + stamps.dt.month.map(months).astype(TEXT)
        + " "
        + stamps.dt.year.astype("Int64").astype(TEXT)
    )
    return text.fillna("?")


def time_text(values: pd.Series, language: str) -> pd.Series:
    """``3 Okt 2024 08:40`` in the lodging's local time."""
    stamps = as_datetime(values)
    return (day_text(stamps, language) + " " + stamps.dt.strftime("%H:%M").astype(TEXT)).fillna("?")


def iso_date(values: pd.Series) -> pd.Series:
    return as_datetime(values).dt.strftime("%Y-%m-%d").astype(TEXT)


def iso_time(values: pd.Series) -> pd.Series:
    return as_datetime(values).dt.strftime("%Y-%m-%dT%H:%M").astype(TEXT)


def person_name(surname: pd.Series, given: pd.Series) -> pd.Series:
    """``ZHANG Wei``-style display: surname upper case, given names as recorded."""
    sur = surname.astype(TEXT).fillna("").str.upper()
    giv = given.astype(TEXT).fillna("")
    return (sur + " " + giv).str.strip()


def text(values: pd.Series) -> pd.Series:
    return values.astype(TEXT).fillna("")


def evidence_json(evidence: dict[str, Any], length: int) -> list[str]:
    """One JSON document per row from columns of equal length (nested dicts allowed).

    The text is exactly ``json.dumps(document, ensure_ascii=False, sort_keys=True)`` of
    each row's document (flag material hashes are taken over it, so it must never
    change), but it is assembled column-wise: each distinct value of a column is encoded
    once, and each document is joined once from its pieces. Building a dict
    per flag and dumping it cost 16 s for the rules of a national day.
    """
    columns: dict[str, Any] = {}

    def flatten(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict):
                flatten(path + ".", value)
            else:
                columns[path] = value

    flatten("", evidence)
    if length == 0:
        return []
    # The document tree the dotted paths describe (a key with a dot nests, as it always did).
    tree: dict[str, Any] = {}
    for path in columns:
        *parents, leaf = path.split(".")
        target = tree
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = path
    pieces: list[str | np.ndarray] = []
    _json_object(tree, columns, length, pieces)
    # One str.join per document over its pieces (constant text and per-row values), in C:
    # repeated numpy string additions would copy each document once per field.
    merged = _merge_constants(pieces)
    if len(merged) == 1 and isinstance(merged[0], str):  # no values at all: ``{}``
        return [merged[0]] * length
    streams = [repeat(piece, length) if isinstance(piece, str) else piece for piece in merged]
    return list(map("".join, zip(*streams, strict=False)))


def _json_object(node: dict[str, Any], columns: dict[str, Any], length: int, pieces: list[str | np.ndarray]) -> None:
    """Append the pieces of one JSON object: key text as constants, values as columns."""
    if not node:
        pieces.append("{}")
        return
    for position, key in enumerate(sorted(node)):
        pieces.append(("{" if position == 0 else ", ") + json.dumps(key, ensure_ascii=False) + ": ")
        child = node[key]
        if isinstance(child, dict):
            _json_object(child, columns, length, pieces)
        else:
            pieces.append(_json_column(columns[child], length))
    pieces.append("}")


def _merge_constants(pieces: list[str | np.ndarray]) -> list[str | np.ndarray]:
    merged: list[str | np.ndarray] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _json_column(value: Any, length: int) -> np.ndarray:
    """``json.dumps`` of each row's value, computed once per distinct value."""
    if not isinstance(value, pd.Series):
        _check_constant(value)
        return np.full(length, json.dumps(_iso(value), ensure_ascii=False), dtype=object)
    if pd.api.types.is_datetime64_any_dtype(value.dtype):
        # A missing timestamp has always been written as NaN (not null); hashes depend on it.
        values, missing = value.dt.strftime("%Y-%m-%dT%H:%M:%S"), "NaN"
    else:
        values, missing = value, "null"
    try:
        codes, distinct = pd.factorize(values)
    except TypeError:  # unhashable values (lists)
        return _json_each(value, length)
    plain = [v.item() if isinstance(v, np.generic) else _iso(v) for v in distinct]
    # Equal-but-different values (1, 1.0, True) would share one code: factorise only a
    # column of one type.
    if len({type(v) for v in plain}) > 1:
        return _json_each(value, length)
    encoded = np.array([*(json.dumps(v, ensure_ascii=False) for v in plain), missing], dtype=object)
    text: np.ndarray = encoded[codes]  # code -1: a missing value
    return text


def _check_constant(value: Any) -> None:
    """Refuse a constant that looks like one value per row.

    Anything but a Series is written whole into every document, so only a scalar or a flat
    list may be a constant. ``[["report_time"]] * len(cases)`` put every flag's list into each
    flag: evidence that grew with the square of the run's cases and changed with their count,
    which reopened closed flags.
    """
    nested = isinstance(value, (list, tuple)) and any(isinstance(item, (list, tuple, dict)) for item in value)
    if nested or isinstance(value, np.ndarray):
        raise TypeError(
            "evidence values that differ by row must be a pandas Series; a constant must be a scalar "
            f"or a flat list, not {type(value).__name__} {value!r:.80}"
        )


def _json_each(value: pd.Series, length: int) -> np.ndarray:
    return np.array([json.dumps(v, ensure_ascii=False) for v in _plain(value, length)], dtype=object)


def _plain(value: Any, length: int) -> list[Any]:
    if isinstance(value, pd.Series):
        if pd.api.types.is_datetime64_any_dtype(value.dtype):
            return list(value.dt.strftime("%Y-%m-%dT%H:%M:%S").where(value.notna(), None))
        as_object = value.astype(object).where(value.notna(), None)
        return [v.item() if isinstance(v, np.generic) else _iso(v) for v in as_object]
    return [_iso(value)] * length


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def stable_id(prefix: str, parts: Sequence[pd.Series]) -> list[str]:
    """``F`` + 16 hex of SHA-256 over the joined parts: stable across machines and versions."""
    joined = parts[0].astype(TEXT)
    for part in parts[1:]:
        joined = joined + "|" + part.astype(TEXT)
    return [prefix + hashlib.sha256(value.encode()).hexdigest()[:16].upper() for value in joined.tolist()]


def content_hash(values: Sequence[str]) -> list[str]:
    return [hashlib.sha256(value.encode()).hexdigest()[:32] for value in values]
