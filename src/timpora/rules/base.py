"""What every rule is made of: the :class:`Rule` (its SQL, its optional refine and prepare
steps, its describer), the context a run gives it, and the standard flag candidate rows
with their priority. The rules themselves live one folder each under ``timpora.rules``
(see :mod:`timpora.rules.catalogue`, which finds them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from timpora.feeds.normalise import TEXT
from timpora.rules import text as tx
from timpora.rules.config import RuleCode, RulesConfig
from timpora.warehouse.db import key_pages, query_frames, sql_statements

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
    "material_hash",
    "rule_version",
]
# Evidence under this key changes as an open stay grows (nights); the rest is material.
VOLATILE_EVIDENCE = "nights"


@dataclass(frozen=True)
class RuleContext:
    """What every rule evaluation may use besides the warehouse."""

    as_of: date
    config: RulesConfig
    run_id: str


@dataclass(frozen=True)
class Rule:
    """One rule: the SQL that selects its cases, an optional column-wise ``refine`` step for
    what SQL cannot judge (free text, MRZ check digits), and the describer of its flags.
    ``prepare`` reads what the SQL's parameters depend on in the warehouse itself.

    Cases are described a page at a time (see :meth:`evaluate_pages`). A ``refine`` that
    folds several rows into one case (a stay's documents, a run's stays) names the column
    that holds a case's rows together in ``group_key``; the SQL orders its rows by it, and
    a page never splits them."""

    code: RuleCode
    sql: str
    describe: Callable[[pd.DataFrame, RuleContext], dict[str, Any]]
    parameters: Callable[[RuleContext], dict[str, Any]] = lambda ctx: {}
    refine: Callable[[pd.DataFrame, RuleContext], pd.DataFrame] | None = None
    prepare: Callable[[Connection, RuleContext], dict[str, Any]] | None = None
    group_key: str | None = None

    def evaluate_pages(self, conn: Connection, ctx: RuleContext, page_rows: int) -> Iterator[pd.DataFrame]:
        """The rule's flag candidates over the scope, one frame per page of about
        ``page_rows`` of its SQL's rows: memory holds one page, however many cases a run
        finds (a first full reconcile over a year of lodging history may find millions).
        The connection may write between pages."""
        parameters = {"as_of": ctx.as_of, **self.parameters(ctx)}
        if self.prepare is not None:
            parameters |= self.prepare(conn, ctx)
        chunks = query_frames(conn, self.sql, parameters, chunk_rows=page_rows)
        for cases in key_pages(chunks, self.group_key, f"rule {self.code.value}"):
            if self.refine is not None:
                cases = self.refine(cases, ctx)
            if not cases.empty:
                cases = cases.reset_index(drop=True)
                yield candidates(self.code, cases, self.describe(cases, ctx), ctx)

    def reads_identity_links(self, dialect: str) -> bool:
        """Whether its cases depend on the run's identity links: its SQL reads them.

        Read off the statements themselves (comments stripped), so a rule changed to read
        the links cannot go on being judged before they are written.
        """
        return any("identity_link" in statement for statement in sql_statements(self.sql, dialect))


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
    material = {key: value for key, value in described["evidence"].items() if key != VOLATILE_EVIDENCE}
    frame["material_hash"] = tx.content_hash(tx.evidence_json(material, n))
    frame["rule_version"] = ctx.config.version
    frame["priority"] = priority(
        severity, frame["region_code"], frame["first_night"], frame["last_night"], ctx.as_of, ctx.config
    )
    frame["flag_id"] = tx.stable_id("F", [frame["rule_code"], frame["subject_key"]])
    return frame[CANDIDATE_COLUMNS].reset_index(drop=True)
