"""The mismatch rules: each is a SQL file that selects its cases over the reconcile scope,
and a describer that turns those rows into flag candidates (reason in Bahasa Indonesia
and English, structured evidence, identity, priority) with column-wise operations.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from timpora.feeds.normalise import TEXT
from timpora.rules import text as tx
from timpora.rules.config import RuleCode, RulesConfig
from timpora.warehouse.db import query_frame

CANDIDATE_COLUMNS = [
    "flag_id",
    "rule_code",
    "subject_key",
    "person_key",
    "severity",
    "priority",
    "passport_number",
    "nationality",
    "report_ids",
    "lodging_id",
    "region_code",
    "province_code",
    "first_night",
    "last_night",
    "night_count",
    "reason_id",
    "reason_en",
    "evidence",
    "evidence_hash",
    "rule_version",
]


@dataclass(frozen=True)
class RuleContext:
    """What every rule evaluation may use besides the warehouse."""

    as_of: date
    config: RulesConfig
    run_id: str


@dataclass(frozen=True)
class Rule:
    code: RuleCode
    sql: str
    describe: Callable[[pd.DataFrame, RuleContext], dict[str, Any]]
    parameters: Callable[[RuleContext], dict[str, Any]] = lambda ctx: {}

    def evaluate(self, conn: Connection, ctx: RuleContext) -> pd.DataFrame:
        cases = query_frame(conn, self.sql, {"as_of": ctx.as_of, **self.parameters(ctx)})
        if cases.empty:
            return pd.DataFrame(columns=CANDIDATE_COLUMNS)
        return candidates(self.code, cases, self.describe(cases, ctx), ctx)


def priority(
    severity: pd.Series,
    region_code: pd.Series,
    first_night: pd.Series,
    last_night: pd.Series,
    as_of: date,
    config: RulesConfig,
) -> pd.Series:
    """Severity points + monitoring-window boost + age points (days since the first night)."""
    points = severity.map({k.value: v for k, v in config.priority.severity_points.items()}).astype("int64")
    first = tx.as_datetime(first_night)
    last = tx.as_datetime(last_night).fillna(first)
    for window in config.monitoring_windows:
        in_region = pd.Series(False, index=region_code.index)
        for prefix in window.region_prefixes:
            codes = region_code.astype(TEXT)
            in_region |= (codes == prefix) | codes.str.startswith(prefix + ".")
        overlaps = (first <= pd.Timestamp(window.date_until)) & (last >= pd.Timestamp(window.date_from))
        points = points + np.where(in_region.fillna(False) & overlaps.fillna(False), window.priority_boost, 0)
    age_days = (pd.Timestamp(as_of) - first).dt.days.fillna(0).clip(lower=0)
    age = (age_days * config.priority.age_points_per_day).clip(upper=config.priority.age_points_max)
    return (points + age).astype("int64")


def candidates(code: RuleCode, cases: pd.DataFrame, described: dict[str, Any], ctx: RuleContext) -> pd.DataFrame:
    """Standard candidate rows from a rule's cases and its description of them."""
    n = len(cases)
    severity = pd.Series(ctx.config.severity(code).value, index=cases.index)
    frame = pd.DataFrame(index=cases.index)
    frame["rule_code"] = code.value
    frame["subject_key"] = described["subject_key"]
    frame["person_key"] = cases["person_key"]
    frame["severity"] = severity
    frame["passport_number"] = cases["passport_number"]
    frame["nationality"] = cases["nationality"]
    frame["report_ids"] = [json.dumps(ids) for ids in described["report_ids"]]
    frame["lodging_id"] = cases.get("lodging_id")
    frame["region_code"] = cases["region_code"]
    frame["province_code"] = cases["province_code"]
    frame["first_night"] = tx.as_datetime(cases["first_night"]) if "first_night" in cases else pd.NaT
    frame["last_night"] = tx.as_datetime(cases["last_night"]) if "last_night" in cases else pd.NaT
    frame["night_count"] = cases["night_count"].astype("Int64") if "night_count" in cases else pd.NA
    frame["reason_id"] = described["reason_id"]
    frame["reason_en"] = described["reason_en"]
    frame["evidence"] = tx.evidence_json(described["evidence"], n)
    frame["evidence_hash"] = tx.content_hash(frame["evidence"].tolist())
    frame["rule_version"] = ctx.config.version
    frame["priority"] = priority(
        severity, frame["region_code"], frame["first_night"], frame["last_night"], ctx.as_of, ctx.config
    )
    frame["flag_id"] = tx.stable_id("F", [frame["rule_code"], frame["subject_key"]])
    return frame[CANDIDATE_COLUMNS].reset_index(drop=True)


def _stay_evidence(cases: pd.DataFrame) -> dict[str, Any]:
    """The lodging report as the flag shows it."""
    return {
        "report_id": cases["report_id"],
        "lodging_id": cases["lodging_id"],
        "lodging_name": cases["lodging_name"],
        "region_code": cases["region_code"],
        "region_name": cases["region_name"],
        "guest_surname": cases["guest_surname"],
        "guest_given_names": cases["guest_given_names"],
        "date_of_birth": tx.iso_date(cases["date_of_birth"]),
        "nationality": cases["nationality"],
        "passport_number": cases["passport_number"],
        "passport_number_as_typed": cases["passport_number_raw"],
        "check_in_local": tx.iso_time(cases["check_in_local"]),
        "check_out_local": tx.iso_time(cases["check_out_local"]),
    }


def _nights_phrase(cases: pd.DataFrame, language: str) -> pd.Series:
    """``3 malam (30 Sep 2024 s.d. 2 Okt 2024)``, or ``1 malam (3 Okt 2024)`` for a single night."""
    count = cases["night_count"].astype("Int64").astype(TEXT)
    first, last = tx.day_text(cases["first_night"], language), tx.day_text(cases["last_night"], language)
    single = first == last
    if language == "id":
        span = ("(" + first + " s.d. " + last + ")").where(~single, "(" + first + ")")
        return count + " malam " + span
    span = ("(" + first + " to " + last + ")").where(~single, "(" + first + ")")
    return count + " night(s) " + span


def describe_no_valid_permit(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    name = tx.person_name(cases["guest_surname"], cases["guest_given_names"])
    who_id = (
        "Tamu " + name + " (paspor " + tx.text(cases["passport_number"]) + ", " + tx.text(cases["nationality"]) + ")"
    )
    who_en = (
        "Guest " + name + " (passport " + tx.text(cases["passport_number"]) + ", " + tx.text(cases["nationality"]) + ")"
    )
    where = tx.text(cases["lodging_name"]) + ", " + tx.text(cases["region_name"])
    return {
        "subject_key": tx.text(cases["person_key"]) + "|" + tx.text(cases["report_id"]),
        "report_ids": [[rid] for rid in cases["report_id"].tolist()],
        "reason_id": who_id
        + " menginap di "
        + where
        + " selama "
        + _nights_phrase(cases, "id")
        + " tanpa izin tinggal: tidak ada izin tinggal yang pernah terbit untuk paspor ini.",
        "reason_en": who_en
        + " stayed at "
        + where
        + " for "
        + _nights_phrase(cases, "en")
        + " without a stay permit: no permit was ever issued on this passport.",
        "evidence": {
            "stay": _stay_evidence(cases),
            "uncovered_nights": {
                "first": tx.iso_date(cases["first_night"]),
                "last": tx.iso_date(cases["last_night"]),
                "count": cases["night_count"],
            },
            "permits_on_passport": 0,
        },
    }


RULES: dict[RuleCode, Rule] = {
    RuleCode.NO_VALID_PERMIT: Rule(RuleCode.NO_VALID_PERMIT, "rules/no_valid_permit", describe_no_valid_permit),
}
