"""The visa index catalogue, per edition (``visa_catalogue.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import yaml

from timpora.resources import package_data


@dataclass(frozen=True)
class VisaIndex:
    """One index code of one edition: what it permits."""

    edition: str
    code: str
    kind: str
    name_id: str
    name_en: str
    activities: frozenset[str]
    max_stay_days: int
    allows_work: bool
    permit_type: str


@dataclass(frozen=True)
class Edition:
    edition: str
    in_force_from: date
    indexes: dict[str, VisaIndex]


@lru_cache(maxsize=1)
def editions() -> tuple[Edition, ...]:
    """All editions, oldest first."""
    raw = yaml.safe_load(package_data("reference", "visa_catalogue.yaml").read_text(encoding="utf-8"))
    result = []
    for item in raw["editions"]:
        name = str(item["edition"])
        indexes = {
            code: VisaIndex(
                edition=name,
                code=code,
                kind=spec["kind"],
                name_id=spec["name_id"],
                name_en=spec["name_en"],
                activities=frozenset(spec["activities"]),
                max_stay_days=int(spec["max_stay_days"]),
                allows_work=bool(spec["allows_work"]),
                permit_type=spec["permit_type"],
            )
            for code, spec in item["indexes"].items()
        }
        result.append(Edition(name, item["in_force_from"], indexes))
    return tuple(sorted(result, key=lambda e: e.in_force_from))


def edition_on(day: date) -> Edition:
    """The edition in force on ``day`` (the oldest one for earlier dates)."""
    chosen = editions()[0]
    for edition in editions():
        if edition.in_force_from <= day:
            chosen = edition
    return chosen


@lru_cache(maxsize=1)
def all_index_codes() -> frozenset[str]:
    """Every code of every edition: the set a visa record's ``visa_index`` must come from."""
    return frozenset(code for edition in editions() for code in edition.indexes)
