"""IDENTITY_MISMATCH: the describer of its cases (``sql/rules/identity_mismatch/cases.sql``); what the rule
is for, its evidence and its defaults are in ``rule.yaml`` beside this file, its planted
cases and near misses in ``plants.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from timpora.feeds.normalise import TEXT
from timpora.matching.identity import nested_comparison
from timpora.rules import evidence as ev
from timpora.rules import text as tx
from timpora.rules.base import Rule, RuleContext
from timpora.rules.config import RuleCode

_FIELD_LABELS = {
    "name": ("nama", "name"),
    "date_of_birth": ("tanggal lahir", "date of birth"),
    "sex": ("jenis kelamin", "sex"),
    "nationality": ("kewarganegaraan", "nationality"),
}


def refine_identity(cases: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    """One row per stay, with its mismatched documents and the fields that disagree."""
    flags = {field: cases[f"{field}_verdict"] == "DIFFERENT" for field in _FIELD_LABELS}
    cases = cases.assign(
        document=tx.text(cases["document_kind"]) + " " + tx.text(cases["document_number"]),
        **{f"{field}_differs": hit for field, hit in flags.items()},
    )
    stay_columns = [c for c in cases.columns if c not in _LINK_COLUMNS and not c.endswith("_differs")]
    grouped = cases.groupby("report_id", sort=True)
    stays = grouped[stay_columns].first().reset_index(drop=True)
    stays["documents"] = grouped["document"].agg(list).to_numpy()
    # The comparisons are stored JSON; a flag shows them as structured data, parsed once each.
    stays["comparisons"] = grouped["comparison"].agg(lambda docs: [nested_comparison(d) for d in docs]).to_numpy()
    stays["kinds"] = grouped["document_kind"].agg(list).to_numpy()
    stays["numbers"] = grouped["document_number"].agg(list).to_numpy()
    differs = grouped[[f"{field}_differs" for field in _FIELD_LABELS]].any()
    joined = pd.Series("", index=differs.index, dtype=TEXT)
    for field in _FIELD_LABELS:
        joined = joined + np.where(differs[f"{field}_differs"], field + " ", "")
    stays["disagreeing_fields"] = joined.str.split().to_numpy()
    stays["best_score"] = grouped["score"].max().to_numpy()
    return stays


_LINK_COLUMNS = {
    "document_kind",
    "document_number",
    "name_verdict",
    "date_of_birth_verdict",
    "sex_verdict",
    "nationality_verdict",
    "score",
    "comparison",
    "document",
}


def _field_phrase(fields: pd.Series, language: str) -> pd.Series:
    position = 0 if language == "id" else 1
    text = pd.Series("", index=fields.index, dtype=TEXT)
    for field, labels in _FIELD_LABELS.items():
        hit = fields.str.join(" ").str.contains(rf"\b{field}\b").to_numpy(dtype=bool)
        text = text + np.where(hit, labels[position] + ", ", "")
    return text.str.removesuffix(", ")


def describe_identity_mismatch(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    listed = cases["documents"].str.join(", ")
    documents = listed.str.replace("PERMIT ", "izin tinggal ").str.replace("VISA ", "visa ")
    documents_en = listed.str.replace("PERMIT ", "stay permit ").str.replace("VISA ", "visa ")
    return {
        "subject_key": ev.person_stay(cases),
        "report_ids": ev.single_report(cases),
        "reason_id": ev.who(cases, "id")
        + " di "
        + ev.where(cases)
        + ": nomor paspor cocok dengan "
        + documents
        + ", tetapi "
        + _field_phrase(cases["disagreeing_fields"], "id")
        + " berbeda melebihi salah ketik; tamu mungkin bukan pemegang dokumen itu.",
        "reason_en": ev.who(cases, "en")
        + " at "
        + ev.where(cases)
        + ": the passport number matches "
        + documents_en
        + ", but the "
        + _field_phrase(cases["disagreeing_fields"], "en")
        + " disagree beyond typing noise; the guest may not be the document holder.",
        "evidence": {
            "stay": ev.guest_evidence(cases),
            "nights": ev.nights_evidence(cases),
            "documents": {
                "kinds": cases["kinds"],
                "numbers": cases["numbers"],
                "comparisons": cases["comparisons"],
            },
            "best_score": cases["best_score"],
            "disagreements": cases["disagreeing_fields"],
        },
    }


RULE = Rule(
    RuleCode.IDENTITY_MISMATCH,
    "rules/identity_mismatch/cases",
    describe_identity_mismatch,
    refine=refine_identity,
    group_key="report_id",
)
