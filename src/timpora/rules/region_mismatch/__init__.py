"""REGION_MISMATCH: the describer of its cases (``sql/rules/region_mismatch/cases.sql``); what the rule
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


def refine_region(cases: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    """One row per run (keyed by the stay of its first night), with every stay of the run."""
    grouped = cases.groupby("report_id", sort=True)
    runs = grouped.first().reset_index()
    runs["run_report_ids"] = grouped["run_report_id"].agg(lambda ids: sorted(set(ids))).to_numpy()
    return runs


def describe_region_mismatch(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    limit = str(ctx.config.thresholds.region_mismatch_nights)
    home_id = tx.text(cases["permit_region_name"]) + " (provinsi " + tx.text(cases["permit_province_name"]) + ")"
    home_en = tx.text(cases["permit_region_name"]) + " (province " + tx.text(cases["permit_province_name"]) + ")"
    holder = tx.text(cases["permit_type"]) + " " + tx.text(cases["permit_number"])
    return {
        "subject_key": ev.person_stay(cases),
        "report_ids": cases["run_report_ids"].tolist(),
        "reason_id": ev.who(cases, "id")
        + ", pemegang "
        + holder
        + " beralamat di "
        + home_id
        + ", menginap di luar provinsi itu "
        + ev.nights_phrase(cases, "id")
        + " berturut-turut, mulai di "
        + ev.where(cases)
        + "; lebih dari "
        + limit
        + " malam: kemungkinan pindah alamat tanpa lapor.",
        "reason_en": ev.who(cases, "en")
        + ", holder of "
        + holder
        + " registered at "
        + home_en
        + ", lodged outside that province for "
        + ev.nights_phrase(cases, "en")
        + " in a row, starting at "
        + ev.where(cases)
        + "; more than "
        + limit
        + " nights: a likely unreported change of address.",
        "evidence": {
            "stay": ev.guest_evidence(cases),
            "nights": ev.nights_evidence(cases),
            "run_report_ids": cases["run_report_ids"],
            "permit": {
                "permit_number": cases["permit_number"],
                "permit_type": cases["permit_type"],
                "region_code": cases["permit_region_code"],
                "region_name": cases["permit_region_name"],
                "province_code": cases["permit_province_code"],
                "address": cases["permit_address"],
                "valid_from": tx.iso_date(cases["permit_valid_from"]),
                "valid_until": tx.iso_date(cases["permit_valid_until"]),
            },
            "lodging_province_code": cases["province_code"],
            "threshold_nights": ctx.config.thresholds.region_mismatch_nights,
            "disagreements": ["province"],
        },
    }


RULE = Rule(
    RuleCode.REGION_MISMATCH,
    "rules/region_mismatch/cases",
    describe_region_mismatch,
    parameters=lambda ctx: {"region_mismatch_nights": ctx.config.thresholds.region_mismatch_nights},
    refine=refine_region,
    group_key="report_id",
)
