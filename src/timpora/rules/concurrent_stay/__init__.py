"""CONCURRENT_STAY: the describer of its cases (``sql/rules/concurrent_stay/cases.sql``); what the rule
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


def describe_concurrent_stay(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    other = tx.text(cases["other_lodging_name"]) + ", " + tx.text(cases["other_region_name"])
    return {
        "subject_key": ev.person_stay(cases) + "|" + tx.text(cases["other_report_id"]),
        "report_ids": [list(pair) for pair in zip(cases["report_id"], cases["other_report_id"], strict=True)],
        "reason_id": ev.who(cases, "id")
        + " tercatat menginap di dua tempat pada malam yang sama, "
        + ev.nights_phrase(cases, "id")
        + ": "
        + ev.where(cases)
        + " dan "
        + other
        + ".",
        "reason_en": ev.who(cases, "en")
        + " is checked in at two lodgings over the same night(s), "
        + ev.nights_phrase(cases, "en")
        + ": "
        + ev.where(cases)
        + " and "
        + other
        + ".",
        "evidence": {
            "stay": ev.guest_evidence(cases),
            "other_stay": {
                "report_id": cases["other_report_id"],
                "lodging_id": cases["other_lodging_id"],
                "lodging_name": cases["other_lodging_name"],
                "region_code": cases["other_region_code"],
                "region_name": cases["other_region_name"],
                "guest_surname": cases["other_guest_surname"],
                "guest_given_names": cases["other_guest_given_names"],
                "passport_number_as_typed": cases["other_passport_number_raw"],
                "check_in_local": tx.iso_time(cases["other_check_in_local"]),
                "check_out_local": tx.iso_time(cases["other_check_out_local"]),
            },
            "nights": ev.nights_evidence(cases),
            "disagreements": ["region_code"],
        },
    }


RULE = Rule(RuleCode.CONCURRENT_STAY, "rules/concurrent_stay/cases", describe_concurrent_stay)
