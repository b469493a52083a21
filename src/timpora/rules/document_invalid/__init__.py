"""DOCUMENT_INVALID: the describer of its cases (``sql/rules/document_invalid/cases.sql``); what the rule
is for, its evidence and its defaults are in ``rule.yaml`` beside this file, its planted
cases and near misses in ``plants.py``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from timpora.feeds.normalise import TEXT
from timpora.rules import document
from timpora.rules import evidence as ev
from timpora.rules import text as tx
from timpora.rules.base import Rule, RuleContext
from timpora.rules.config import RuleCode


def refine_document(cases: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    findings = document.document_findings(cases, ctx.config.linking)
    codes, reason_id, reason_en = document.finding_lists(findings)
    joined = pd.concat([cases, findings], axis=1)
    joined["findings"] = codes
    joined["findings_id"] = reason_id
    joined["findings_en"] = reason_en
    return joined[codes.map(len).to_numpy() > 0]


def describe_document_invalid(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    def compared(field: str, typed: pd.Series, differs: str) -> dict[str, Any]:
        return {"mrz": cases[f"mrz_{field}"], "typed": typed, "differs": cases[differs]}

    return {
        "subject_key": ev.person_stay(cases),
        "report_ids": ev.single_report(cases),
        "reason_id": "Dokumen "
        + ev.who(cases, "id").str.replace("Tamu ", "tamu ", n=1)
        + " di "
        + ev.where(cases)
        + " bermasalah: "
        + cases["findings_id"]
        + ".",
        "reason_en": "The document of "
        + ev.who(cases, "en").str.replace("Guest ", "guest ", n=1)
        + " at "
        + ev.where(cases)
        + " is invalid: "
        + cases["findings_en"]
        + ".",
        "evidence": {
            "stay": {**ev.guest_evidence(cases), "passport_expiry": tx.iso_date(cases["passport_expiry"])},
            "mrz": {
                "line1": cases["mrz_line1"],
                "line2": cases["mrz_line2"],
                "check_digits": {name: cases[f"check_{name}"] for name in document._CHECK_FINDING},
                "fields": {
                    "passport_number": compared(
                        "passport_number", cases["passport_number"], "MRZ_PASSPORT_NUMBER_DIFFERS"
                    ),
                    "date_of_birth": compared(
                        "date_of_birth",
                        tx.as_datetime(cases["date_of_birth"]).dt.strftime("%y%m%d").astype(TEXT),
                        "MRZ_DATE_OF_BIRTH_DIFFERS",
                    ),
                    "sex": compared("sex", cases["sex"], "MRZ_SEX_DIFFERS"),
                    "nationality": compared("nationality", cases["nationality"], "MRZ_NATIONALITY_DIFFERS"),
                    "surname": compared("surname", cases["guest_surname"], "MRZ_NAME_DIFFERS"),
                    "given_names": compared("given_names", cases["guest_given_names"], "MRZ_NAME_DIFFERS"),
                    "expiry": {"mrz": cases["mrz_expiry"], "typed": tx.iso_date(cases["passport_expiry"])},
                },
            },
            "findings": cases["findings"],
            "disagreements": cases["findings"],
        },
    }


RULE = Rule(
    RuleCode.DOCUMENT_INVALID, "rules/document_invalid/cases", describe_document_invalid, refine=refine_document
)
