"""How well the platform finds what the generator planted: per-rule and linking quality.

The generator's ground truth (``truth.json``) lists every planted case (rule code and the
report ids it concerns), and for every stay the true person and the permits and visas
that person holds. Against the warehouse this gives:

- per rule: planted cases found (true positives), flags raised on nothing planted (false
  positives), planted cases missed (false negatives), precision and recall;
- identity linking: of the (stay, document) pairs the linker calls LINKED, how many are
  the same person (precision), and of the true pairs, how many it linked (recall),
  overall and per kind of planted noise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from timpora.rules.config import RuleCode


@dataclass
class Quality:
    """Counts and ratios of one measured thing."""

    name: str
    expected: int
    found: int
    true_positives: int
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expected": self.expected,
            "found": self.found,
            "true_positives": self.true_positives,
            "false_positives": len(self.false_positives),
            "false_negatives": len(self.false_negatives),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "false_positive_examples": self.false_positives[:5],
            "false_negative_examples": self.false_negatives[:5],
        }


def _flags(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT flag_id, rule_code, report_ids FROM flag WHERE status <> 'CLEARED'")
        ).fetchall()
    return pd.DataFrame(rows, columns=["flag_id", "rule_code", "report_ids"])


def rule_quality(engine: Engine, truth: dict[str, Any]) -> list[Quality]:
    """Per rule code: planted cases against the flags standing in the warehouse."""
    flags = _flags(engine)
    flags["case"] = flags["report_ids"].map(lambda ids: "|".join(sorted(json.loads(ids))))
    results = []
    for code in RuleCode:
        planted = {"|".join(sorted(c["report_ids"])): c["case_id"] for c in truth["planted"] if c["rule_code"] == code}
        raised = flags[flags["rule_code"] == code.value]
        raised_cases = dict(zip(raised["case"], raised["flag_id"], strict=True))
        hits = set(planted) & set(raised_cases)
        results.append(
            Quality(
                name=code.value,
                expected=len(planted),
                found=len(raised_cases),
                true_positives=len(hits),
                false_positives=sorted(f"{raised_cases[c]} ({c})" for c in set(raised_cases) - hits),
                false_negatives=sorted(planted[c] for c in set(planted) - hits),
            )
        )
    return results


def linking_quality(engine: Engine, truth: dict[str, Any]) -> list[Quality]:
    """Identity linking against the true (stay, document) pairs: overall and per noise kind."""
    with engine.connect() as conn:
        links = pd.DataFrame(
            conn.execute(sa.text("SELECT report_id, document_number, verdict FROM identity_link")).fetchall(),
            columns=["report_id", "document_number", "verdict"],
        )
        loaded = {
            row[0] for row in conn.execute(sa.text("SELECT report_id FROM guest_stay WHERE status <> 'CANCELLED'"))
        }
    true_pairs = {
        (report_id, number)
        for report_id, stay in truth["stays"].items()
        if report_id in loaded
        for number in stay["permit_numbers"] + stay["visa_numbers"]
    }
    linked = set(
        zip(*(links.loc[links["verdict"] == "LINKED", c] for c in ("report_id", "document_number")), strict=True)
    )
    noise_of = {report_id: stay["noise"] for report_id, stay in truth["stays"].items()}
    groups: dict[str, set[tuple[str, str]]] = {"all": true_pairs, "no noise": set()}
    for pair in true_pairs:
        kinds = noise_of.get(pair[0]) or []
        if not kinds:
            groups["no noise"].add(pair)
        for kind in kinds:
            groups.setdefault(f"noise: {kind}", set()).add(pair)
    results = []
    for name, expected in groups.items():
        scope_reports = {report_id for report_id, _ in expected}
        found = linked if name == "all" else {p for p in linked if p[0] in scope_reports}
        hits = expected & found
        results.append(
            Quality(
                name=name,
                expected=len(expected),
                found=len(found),
                true_positives=len(hits),
                false_positives=sorted(f"{r} ~ {d}" for r, d in found - expected),
                false_negatives=sorted(f"{r} ~ {d}" for r, d in expected - found),
            )
        )
    return results
