"""LATE_REPORT: the describer of its cases (``sql/rules/late_report/cases.sql``); what the rule
is for, its evidence and its defaults are in ``rule.yaml`` beside this file, its planted
cases and near misses in ``plants.py``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from timpora.rules import evidence as ev
from timpora.rules import text as tx
from timpora.rules.base import Rule, RuleContext
from timpora.rules.config import RuleCode


def describe_late_report(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    hours = (cases["delay_seconds"].astype("int64") / 3600).round(1)
    limit = str(ctx.config.thresholds.late_report_hours)
    hours_id = hours.map("{:.1f}".format).str.replace(".", ",", regex=False)
    hours_en = hours.map("{:.1f}".format)
    return {
        "subject_key": ev.person_stay(cases),
        "report_ids": ev.single_report(cases),
        "reason_id": tx.text(cases["lodging_name"])
        + " ("
        + tx.text(cases["region_name"])
        + ") melaporkan check-in "
        + ev.who(cases, "id").str.replace("Tamu ", "tamu ", n=1)
        + " pada "
        + tx.time_text(cases["check_in_reported_local"], "id")
        + ", "
        + hours_id
        + " jam setelah check-in ("
        + tx.time_text(cases["check_in_local"], "id")
        + "); batasnya "
        + limit
        + " jam (UU 6/2011 Pasal 72).",
        "reason_en": tx.text(cases["lodging_name"])
        + " ("
        + tx.text(cases["region_name"])
        + ") reported the check-in of "
        + ev.who(cases, "en").str.replace("Guest ", "guest ", n=1)
        + " on "
        + tx.time_text(cases["check_in_reported_local"], "en")
        + ", "
        + hours_en
        + " hours after the check-in ("
        + tx.time_text(cases["check_in_local"], "en")
        + "); the limit is "
        + limit
        + " hours (Law 6/2011 art. 72).",
        "evidence": {
            "stay": ev.guest_evidence(cases),
            "check_in_local": tx.iso_time(cases["check_in_local"]),
            "reported_local": tx.iso_time(cases["check_in_reported_local"]),
            "delay_hours": hours,
            "threshold_hours": ctx.config.thresholds.late_report_hours,
            "disagreements": ["report_time"],
        },
    }


RULE = Rule(
    RuleCode.LATE_REPORT,
    "rules/late_report/cases",
    describe_late_report,
    parameters=lambda ctx: {"late_report_seconds": ctx.config.thresholds.late_report_hours * 3600},
)
