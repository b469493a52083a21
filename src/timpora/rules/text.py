"""Vectorised text helpers for reasons reviewers read (Bahasa Indonesia and English)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from timpora.feeds.normalise import TEXT

_MONTHS_ID = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


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

    Values are converted column by column; only the final ``json.dumps`` runs per flag.
    """
    columns: dict[str, Sequence[Any]] = {}

    def flatten(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict):
                flatten(path + ".", value)
            else:
                columns[path] = _plain(value, length)

    flatten("", evidence)
    documents = []
    for index in range(length):
        doc: dict[str, Any] = {}
        for path, values in columns.items():
            target = doc
            *parents, leaf = path.split(".")
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = values[index]
        documents.append(json.dumps(doc, ensure_ascii=False, sort_keys=True))
    return documents


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
