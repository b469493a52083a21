"""NO_VALID_PERMIT: the describer of its cases (``sql/rules/no_valid_permit/cases.sql``); what the rule
is for, its evidence and its defaults are in ``rule.yaml`` beside this file, its planted
cases and near misses in ``plants.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from timpora.rules import evidence as ev
from timpora.rules.base import Rule, RuleContext
from timpora.rules.config import RuleCode


def describe_no_valid_permit(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    visas = cases["visas_on_passport"].astype("int64")
    visa_id = pd.Series(np.where(visas > 0, " (visa ada, izin tinggal tidak)", ""), index=cases.index)
    visa_en = pd.Series(np.where(visas > 0, " (a visa exists, no stay permit)", ""), index=cases.index)
    return {
        "subject_key": ev.person_stay(cases),
        "report_ids": ev.single_report(cases),
        "reason_id": ev.stayed(cases, "id")
        + " tanpa izin tinggal: tidak ada izin tinggal yang pernah terbit untuk paspor ini"
        + visa_id
        + ".",
        "reason_en": ev.stayed(cases, "en")
        + " without a stay permit: no permit was ever issued on this passport"
        + visa_en
        + ".",
        "evidence": {
            "stay": ev.guest_evidence(cases),
            "nights": ev.nights_evidence(cases),
            "permits_on_passport": 0,
            "visas_on_passport": visas,
            "disagreements": ["no_stay_permit"],
        },
    }


RULE = Rule(RuleCode.NO_VALID_PERMIT, "rules/no_valid_permit/cases", describe_no_valid_permit)
