"""PURPOSE_MISMATCH: the describer of its cases (``sql/rules/purpose_mismatch/cases.sql``); what the rule
is for, its evidence and its defaults are in ``rule.yaml`` beside this file, its planted
cases and near misses in ``plants.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from timpora.rules import evidence as ev
from timpora.rules import purpose
from timpora.rules import text as tx
from timpora.rules.base import Rule, RuleContext
from timpora.rules.config import DeclaredActivity, RuleCode
from timpora.warehouse.db import query_sql

# Declaring texts listed in the query at most; past that the query returns every stay and
# the lexicon reads them all, as it would without the list (SQLite binds each listed text as
# a variable, and allows 32,766 of them).
PURPOSE_TEXTS_LISTED_AT_MOST = 10_000


def purpose_parameters(conn: Connection, ctx: RuleContext) -> dict[str, Any]:
    """Which stays can disagree with their documents: the scope's declared texts in which the
    lexicon finds an activity, and the sponsor types that imply one. On the bench's national
    day three stays in four declare nothing, and fetching and reading them was a fifth of
    the rule's time."""
    texts = [row[0] for row in query_sql(conn, "rules/purpose_mismatch/declared_texts")]
    declaring = purpose.declaring_texts(texts, ctx.config.purpose)
    every_text = len(declaring) > PURPOSE_TEXTS_LISTED_AT_MOST
    return {
        "every_text": int(every_text),
        "declaring_texts": [] if every_text else declaring,
        "implying_sponsor_types": sorted(ctx.config.purpose.sponsor_types),
    }


def refine_purpose(cases: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    assessed = purpose.assess(cases, ctx.config.purpose)
    joined = pd.concat([cases, assessed], axis=1)
    return joined[joined["mismatch"]]


def describe_purpose_mismatch(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    permit = tx.text(cases["permit_number"]) + " (" + tx.text(cases["permit_type"]) + ", "
    permit = permit + tx.text(cases["permit_activity"])
    has_visa = cases["visa_number"].notna()
    visa_id = pd.Series(
        np.where(
            has_visa,
            " dan visa " + tx.text(cases["visa_number"]) + " (indeks " + tx.text(cases["visa_index"]) + ")",
            "",
        ),
        index=cases.index,
    )
    visa_en = pd.Series(
        np.where(
            has_visa,
            " and visa " + tx.text(cases["visa_number"]) + " (index " + tx.text(cases["visa_index"]) + ")",
            "",
        ),
        index=cases.index,
    )
    activities = {
        activity.value: {
            "declared": cases[f"declares_{activity.value}"],
            "word": cases[f"word_{activity.value}"],
            "by_sponsor": cases[f"sponsored_{activity.value}"],
            "permit_allows": cases[f"permit_allows_{activity.value}"],
            "visa_allows": cases[f"visa_allows_{activity.value}"],
        }
        for activity in DeclaredActivity
    }
    return {
        "subject_key": ev.person_stay(cases),
        "report_ids": ev.single_report(cases),
        "reason_id": ev.who(cases, "id")
        + " di "
        + ev.where(cases)
        + " "
        + purpose.finding_sources(cases, "id")
        + ", tetapi izin tinggal "
        + permit
        + ")"
        + visa_id
        + " tidak mengizinkan kegiatan itu.",
        "reason_en": ev.who(cases, "en")
        + " at "
        + ev.where(cases)
        + " "
        + purpose.finding_sources(cases, "en")
        + ", but stay permit "
        + permit
        + ")"
        + visa_en
        + " does not allow that activity.",
        "evidence": {
            "stay": ev.guest_evidence(cases),
            "nights": ev.nights_evidence(cases),
            "declared": {
                "occupation": cases["occupation"],
                "purpose_of_visit": cases["purpose_of_visit"],
                "matched_words": cases["matched_words"],
                "activities": cases["declared_activities"],
            },
            "permit": {
                "permit_number": cases["permit_number"],
                "permit_type": cases["permit_type"],
                "status": cases["permit_status"],
                "activity": cases["permit_activity"],
                "sponsor_name": cases["permit_sponsor_name"],
                "sponsor_type": cases["permit_sponsor_type"],
            },
            "visa": {
                "visa_number": cases["visa_number"],
                "visa_index": cases["visa_index"],
                "catalogue_edition": cases["visa_edition"],
                "issued_at": tx.iso_time(cases["visa_issued_at"]),
                "purpose": cases["visa_purpose"],
                "sponsor_type": cases["visa_sponsor_type"],
            },
            "assessment": activities,
            "disagreements": cases["disallowed_activities"],
        },
    }


RULE = Rule(
    RuleCode.PURPOSE_MISMATCH,
    "rules/purpose_mismatch/cases",
    describe_purpose_mismatch,
    refine=refine_purpose,
    prepare=purpose_parameters,
)
