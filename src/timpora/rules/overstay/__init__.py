"""OVERSTAY: the describer of its cases (``sql/rules/overstay/cases.sql``); what the rule
is for, its evidence and its defaults are in ``rule.yaml`` beside this file, its planted
cases and near misses in ``plants.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from timpora.rules import evidence as ev
from timpora.rules import text as tx
from timpora.rules.base import Rule, RuleContext
from timpora.rules.config import RuleCode


def describe_overstay(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    status = tx.text(cases["permit_status"])
    ended_id = pd.Series(
        np.select(
            [status == "CANCELLED", status == "REVOKED"],
            [
                "dibatalkan pada " + tx.day_text(cases["permit_updated_at"], "id"),
                "dicabut pada " + tx.day_text(cases["permit_updated_at"], "id"),
            ],
            "berakhir pada " + tx.day_text(cases["permit_valid_until"], "id"),
        ),
        index=cases.index,
    )
    ended_en = pd.Series(
        np.select(
            [status == "CANCELLED", status == "REVOKED"],
            [
                "was cancelled on " + tx.day_text(cases["permit_updated_at"], "en"),
                "was revoked on " + tx.day_text(cases["permit_updated_at"], "en"),
            ],
            "ended on " + tx.day_text(cases["permit_valid_until"], "en"),
        ),
        index=cases.index,
    )
    permit = tx.text(cases["permit_number"]) + " (" + tx.text(cases["permit_type"]) + ")"
    return {
        "subject_key": ev.person_stay(cases),
        "report_ids": ev.single_report(cases),
        "reason_id": ev.stayed(cases, "id") + " setelah izin tinggal " + permit + " " + ended_id + ".",
        "reason_en": ev.stayed(cases, "en") + " after stay permit " + permit + " " + ended_en + ".",
        "evidence": {
            "stay": ev.guest_evidence(cases),
            "nights": ev.nights_evidence(cases),
            "permit": {
                "permit_number": cases["permit_number"],
                "permit_type": cases["permit_type"],
                "status": cases["permit_status"],
                "record_version": cases["permit_version"],
                "activity": cases["permit_activity"],
                "valid_from": tx.iso_date(cases["permit_valid_from"]),
                "valid_until": tx.iso_date(cases["permit_valid_until"]),
                "status_recorded_at": tx.iso_time(cases["permit_updated_at"]),
                "office_code": cases["permit_office_code"],
            },
            "disagreements": pd.Series(
                np.where(status == "ACTIVE", "permit_expired", "permit_" + status.str.lower()), index=cases.index
            ).str.split(),
        },
    }


RULE = Rule(RuleCode.OVERSTAY, "rules/overstay/cases", describe_overstay)
